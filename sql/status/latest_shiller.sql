-- The latest month of Shiller's monthly data.
select max(month) from raw.shiller_monthly
