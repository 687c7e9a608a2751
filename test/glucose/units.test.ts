import t from 'tap'
import { fromMgDl, MG_DL_PER_MMOL_L, toStoredMgDl } from '../../src/glucose/units.js'

t.test('mmol/L to stored mg/dL (hand-computed with 18.0182)', async (t) => {
  t.equal(MG_DL_PER_MMOL_L, 18.0182)
  t.equal(toStoredMgDl(5.5, 'mmol/L'), 99) // 5.5 × 18.0182 = 99.10
  t.equal(toStoredMgDl(10, 'mmol/L'), 180) // 180.18
  t.equal(toStoredMgDl(3.9, 'mmol/L'), 70) // 70.27
  t.equal(toStoredMgDl(2.2, 'mmol/L'), 40) // 39.64 rounds up
  t.equal(toStoredMgDl(120.6, 'mg/dL'), 121)
})

t.test('stored mg/dL shown in mmol/L, one decimal', async (t) => {
  t.equal(fromMgDl(180, 'mmol/L'), 10) // 9.990
  t.equal(fromMgDl(70, 'mmol/L'), 3.9) // 3.885
  t.equal(fromMgDl(54, 'mmol/L'), 3) // 2.997
  t.equal(fromMgDl(250, 'mmol/L'), 13.9) // 13.875
  t.equal(fromMgDl(123, 'mg/dL'), 123)
})
