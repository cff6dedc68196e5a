-- ED door-to-provider time: median minutes from arrival to first provider contact, per month
SELECT date_trunc('month', CAST(arrival AS TIMESTAMP)) AS period,
       median(minutes_to_provider) AS value
FROM source
GROUP BY 1
ORDER BY 1
