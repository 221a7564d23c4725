//! CloudWatch: the distribution's metrics (`GetMetricData`, us-east-1, namespace
//! `AWS/CloudFront`, dimensions `DistributionId` and `Region=Global`:
//! <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/programming-cloudwatch-metrics.html>).

use super::{bounded, paginate};
use crate::inventory::{ApiError, MetricQuery, MetricSeries};
use aws_sdk_cloudwatch as cw;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};

/// Pages of one `GetMetricData` (each holds every series of a short window).
const MAX_PAGES: usize = 10;

pub(super) async fn metric_data(client: &cw::Client, q: &MetricQuery) -> Result<Vec<MetricSeries>, ApiError> {
    let queries: Vec<MetricDataQuery> = q
        .metrics
        .iter()
        .enumerate()
        .map(|(i, (name, stat))| {
            let metric = Metric::builder()
                .namespace("AWS/CloudFront")
                .metric_name(name)
                .dimensions(Dimension::builder().name("DistributionId").value(&q.distribution_id).build())
                .dimensions(Dimension::builder().name("Region").value("Global").build())
                .build();
            MetricDataQuery::builder()
                .id(format!("m{i}"))
                .metric_stat(MetricStat::builder().metric(metric).period(q.period_s).stat(stat).build())
                .return_data(true)
                .build()
        })
        .collect();
    let start = aws_smithy_types::DateTime::from_secs(q.start_unix);
    let end = aws_smithy_types::DateTime::from_secs(q.end_unix);
    let mut out: Vec<MetricSeries> = q
        .metrics
        .iter()
        .map(|(m, s)| MetricSeries { metric: m.clone(), stat: s.clone(), values: Vec::new() })
        .collect();
    let pages = paginate(
        MAX_PAGES,
        |token| {
            let req = client
                .get_metric_data()
                .set_metric_data_queries(Some(queries.clone()))
                .start_time(start)
                .end_time(end)
                .set_next_token(token);
            bounded(req.send())
        },
        |p: &cw::operation::get_metric_data::GetMetricDataOutput| p.next_token(),
        |p, items: &mut Vec<(String, Vec<f64>)>| {
            for r in p.metric_data_results() {
                items.push((r.id().unwrap_or_default().to_string(), r.values().to_vec()));
            }
        },
    )
    .await?;
    for (id, values) in pages {
        let slot = id.strip_prefix('m').and_then(|i| i.parse::<usize>().ok()).and_then(|i| out.get_mut(i));
        if let Some(series) = slot {
            series.values.extend(values.into_iter().filter(|v| v.is_finite()));
        }
    }
    Ok(out)
}
