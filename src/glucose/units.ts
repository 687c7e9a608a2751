// Glucose units. Everything is stored in whole mg/dL; mmol/L is converted at the API boundary.
//
// 1 mmol/L of glucose = 18.0182 mg/dL: the molar mass of glucose (C6H12O6, 180.156 g/mol) divided by 10
// (mg/dL -> mg/L). Published converters and CGM apps use 18.0 or 18.016–18.02; 18.0182 is the exact figure.
export const MG_DL_PER_MMOL_L = 18.0182

export const GLUCOSE_UNITS = ['mg/dL', 'mmol/L'] as const
export type GlucoseUnit = (typeof GLUCOSE_UNITS)[number]

/** A value in `unit` as stored: whole mg/dL (CGMs report whole mg/dL; a finer value is measurement noise). */
export function toStoredMgDl(value: number, unit: GlucoseUnit): number {
  return Math.round(unit === 'mmol/L' ? value * MG_DL_PER_MMOL_L : value)
}

/** A stored mg/dL value shown in `unit`: mmol/L to one decimal, as meters and apps display it. */
export function fromMgDl(mgDl: number, unit: GlucoseUnit): number {
  return unit === 'mmol/L' ? Math.round((mgDl / MG_DL_PER_MMOL_L) * 10) / 10 : mgDl
}
