-- ED 4-hour performance: share of attendances that left the ED within 240 minutes, per quarter
SELECT date_trunc('quarter', CAST(arrival AS TIMESTAMP)) AS period,
       round(100.0 * avg(CASE WHEN minutes_in_ed <= 240 THEN 1 ELSE 0 END), 1) AS value
FROM source
GROUP BY 1
ORDER BY 1
