-- The wine classifier in Flink SQL: the 178 rows of examples/wine/data/wine.data, each with the
-- model's three class scores and the bundle version that computed them. run.sh fills in
-- ${WINE_DATA} and ${WINE_BUNDLE}; MlPredictExampleTest runs these same statements.

-- The SQL client prints the rows as a plain table (no interactive view) when run with -f.
SET 'sql-client.execution.result-mode' = 'tableau';
CREATE TABLE wines (
  label INT,
  alcohol DOUBLE, malic_acid DOUBLE, ash DOUBLE, alcalinity DOUBLE, magnesium DOUBLE, phenols DOUBLE,
  flavanoids DOUBLE, nonflavanoid_phenols DOUBLE, proanthocyanins DOUBLE, color DOUBLE, hue DOUBLE,
  od280_od315 DOUBLE, proline DOUBLE
) WITH ('connector' = 'filesystem', 'path' = '${WINE_DATA}', 'format' = 'csv');

-- The bundle declares no feature names, so INPUT is taken in its order: the model's 13 features.
CREATE MODEL wine
  INPUT (alcohol DOUBLE, malic_acid DOUBLE, ash DOUBLE, alcalinity DOUBLE, magnesium DOUBLE, phenols DOUBLE,
         flavanoids DOUBLE, nonflavanoid_phenols DOUBLE, proanthocyanins DOUBLE, color DOUBLE, hue DOUBLE,
         od280_od315 DOUBLE, proline DOUBLE)
  OUTPUT (class_1 FLOAT, class_2 FLOAT, class_3 FLOAT, version STRING)
  WITH ('provider' = 'tfjs', 'bundle' = '${WINE_BUNDLE}', 'threads' = '1');

SELECT label, class_1, class_2, class_3, version
FROM ML_PREDICT(TABLE wines, MODEL wine,
  DESCRIPTOR(alcohol, malic_acid, ash, alcalinity, magnesium, phenols, flavanoids, nonflavanoid_phenols,
             proanthocyanins, color, hue, od280_od315, proline));
