-- Per-reading definitions shared by the rollups (0018), the report (sql/glucose-report.sql) and the analyst
-- queries (sql/analyst-*.sql): one definition each, as immutable functions continuous aggregates may call.

-- Consensus range bands (Battelino et al., Diabetes Care 2019, doi 10.2337/dci19-0028): the one definition used
-- by the rollups, the report (sql/glucose-report.sql) and the analyst queries.
CREATE FUNCTION glucose_band(mg_dl double precision) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN mg_dl IS NULL THEN NULL
              WHEN mg_dl < 54 THEN 'very_low'   -- g < 54
              WHEN mg_dl < 70 THEN 'low'        -- 54 ≤ g < 70
              WHEN mg_dl <= 180 THEN 'in_range' -- 70 ≤ g ≤ 180
              WHEN mg_dl <= 250 THEN 'high'     -- 180 < g ≤ 250
              ELSE 'very_high' END;             -- g > 250

-- Kovatchev's blood glucose risk (Diabetes Care 1997;20:1655-8; LBGI 1998;21:1870-5), g in mg/dL:
-- f(g) = 1.509 · (ln(g)^1.084 − 5.381), r = 10 · f²; the low risk is r where f < 0, the high risk r where f > 0.
-- LBGI / HBGI are their means over the readings, so sums of them roll up exactly.
CREATE FUNCTION glucose_risk_low(mg_dl double precision) RETURNS double precision
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN 10 * least(0, 1.509 * (ln(mg_dl) ^ 1.084 - 5.381)) ^ 2;
CREATE FUNCTION glucose_risk_high(mg_dl double precision) RETURNS double precision
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN 10 * greatest(0, 1.509 * (ln(mg_dl) ^ 1.084 - 5.381)) ^ 2;
