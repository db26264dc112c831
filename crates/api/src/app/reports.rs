//! The workload and service report of the support requests (DOMAIN.md §4): per task force the
//! open and overdue requests, the median working days to take charge and to assign, the
//! authorities' ratings and the hours logged; per expert their load, ratings and hours; per
//! authority the requests and hours. The secretariat sees every task force, a coordinator theirs.

use crate::app::requests::{names, person, service_levels, status_of};
use crate::auth::Caller;
use crate::entities::{activity_entry, support_request};
use crate::error::ApiResult;
use crate::registry::Snapshot;
use affianca_domain::calendar::{rome_date, working_days_between};
use affianca_domain::dto::{AuthorityReport, ExpertReport, ServiceReport, TaskForceReport};
use affianca_domain::{IstatCode, RequestStatus, Role, Scope, TaskForce};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{BTreeMap, HashMap};

fn median(mut v: Vec<u32>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        f64::from(v[n / 2])
    } else {
        (f64::from(v[n / 2 - 1]) + f64::from(v[n / 2])) / 2.0
    })
}

fn average(sum: i64, n: u64) -> Option<f64> {
    // Ratings are 1..5 and counts small: exact in f64.
    #[allow(clippy::cast_precision_loss)]
    (n > 0).then(|| ((sum as f64 / n as f64) * 100.0).round() / 100.0)
}

fn hours(q: i64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    {
        q as f64 / 4.0
    }
}

/// The report of the requests submitted from `from` to `to` (days of Rome, included) in the task
/// forces the caller oversees, as of `today`.
pub async fn service(
    db: &DatabaseConnection,
    snapshot: &Snapshot,
    caller: &Caller,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> ApiResult<ServiceReport> {
    let task_forces: Vec<TaskForce> = if caller.has_role(Role::Secretariat) {
        TaskForce::ALL.to_vec()
    } else {
        caller
            .scopes_of(Role::Coordinator)
            .filter_map(|s| match s {
                Scope::TaskForce(t) => Some(*t),
                _ => None,
            })
            .collect()
    };
    // Whole days of Rome, ±2 hours of UTC.
    let start = from.and_hms_opt(0, 0, 0).expect("midnight").and_utc() - chrono::Duration::hours(2);
    let end = to
        .succ_opt()
        .expect("a next day")
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    let rows: Vec<support_request::Model> = support_request::Entity::find()
        .filter(support_request::Column::TaskForce.is_in(task_forces.iter().map(|t| t.code())))
        .filter(support_request::Column::SubmittedAt.gte(start))
        .filter(support_request::Column::SubmittedAt.lt(end))
        .all(db)
        .await?
        .into_iter()
        .filter(|r| {
            r.submitted_at
                .is_some_and(|t| (from..=to).contains(&rome_date(t)))
        })
        .collect();
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    // Hours per request and per (expert, request), summed by the database.
    let mut quarters_by_request: HashMap<i64, i64> = HashMap::new();
    let mut quarters_by_expert: HashMap<i64, i64> = HashMap::new();
    for chunk in ids.chunks(5000) {
        let sums: Vec<(i64, i64, Option<i64>)> = activity_entry::Entity::find()
            .select_only()
            .column(activity_entry::Column::RequestId)
            .column(activity_entry::Column::ExpertId)
            .column_as(activity_entry::Column::Quarters.sum(), "quarters")
            .filter(activity_entry::Column::RequestId.is_in(chunk.iter().copied()))
            .group_by(activity_entry::Column::RequestId)
            .group_by(activity_entry::Column::ExpertId)
            .into_tuple()
            .all(db)
            .await?;
        for (rid, eid, q) in sums {
            let q = q.unwrap_or(0);
            *quarters_by_request.entry(rid).or_default() += q;
            *quarters_by_expert.entry(eid).or_default() += q;
        }
    }

    let mut tf_out = Vec::new();
    for tf in &task_forces {
        let mine: Vec<&support_request::Model> =
            rows.iter().filter(|r| r.task_force == tf.code()).collect();
        let mut take = Vec::new();
        let mut assign = Vec::new();
        let (mut rating_sum, mut ratings, mut q, mut open, mut overdue) =
            (0_i64, 0_u64, 0_i64, 0, 0);
        for r in &mine {
            let submitted = rome_date(r.submitted_at.expect("filtered on submission"));
            if let Some(t) = r.taken_at {
                take.push(working_days_between(submitted, rome_date(t), &[]));
            }
            if let Some(t) = r.assigned_at {
                assign.push(working_days_between(submitted, rome_date(t), &[]));
            }
            if let Some(x) = r.rating {
                rating_sum += i64::from(x);
                ratings += 1;
            }
            q += quarters_by_request.get(&r.id).copied().unwrap_or(0);
            let status = status_of(&r.status);
            if status.is_open() && status != RequestStatus::Completed {
                open += 1;
            }
            let sl = service_levels(r, today);
            let waiting_take = status == RequestStatus::Submitted && sl.take_charge_overdue;
            let waiting_assign = matches!(
                status,
                RequestStatus::Submitted | RequestStatus::UnderReview
            ) && sl.assign_overdue;
            if waiting_take || waiting_assign {
                overdue += 1;
            }
        }
        tf_out.push(TaskForceReport {
            task_force: *tf,
            submitted: mine.len() as u64,
            open,
            overdue,
            median_take_charge_days: median(take),
            median_assign_days: median(assign),
            average_rating: average(rating_sum, ratings),
            ratings,
            hours: hours(q),
        });
    }

    // Experts: the leads of the period's requests.
    #[derive(Default)]
    struct Acc {
        lead: u64,
        open: u64,
        rating_sum: i64,
        ratings: u64,
    }
    let mut experts: BTreeMap<i64, Acc> = BTreeMap::new();
    for r in &rows {
        if let Some(lead) = r.lead_expert_id {
            let a = experts.entry(lead).or_default();
            a.lead += 1;
            let s = status_of(&r.status);
            if s.is_open() && s != RequestStatus::Completed {
                a.open += 1;
            }
            if let Some(x) = r.rating {
                a.rating_sum += i64::from(x);
                a.ratings += 1;
            }
        }
    }
    for eid in quarters_by_expert.keys() {
        experts.entry(*eid).or_default();
    }
    let names = names(db, experts.keys().copied()).await?;
    let mut expert_out: Vec<ExpertReport> = experts
        .into_iter()
        .map(|(id, a)| ExpertReport {
            expert: person(&names, id),
            lead_requests: a.lead,
            open: a.open,
            average_rating: average(a.rating_sum, a.ratings),
            ratings: a.ratings,
            hours: hours(quarters_by_expert.get(&id).copied().unwrap_or(0)),
        })
        .collect();
    expert_out.sort_by(|a, b| a.expert.full_name.cmp(&b.expert.full_name));

    let mut by_authority: BTreeMap<&str, (u64, i64)> = BTreeMap::new();
    for r in &rows {
        let e = by_authority.entry(r.authority_code.as_str()).or_default();
        e.0 += 1;
        e.1 += quarters_by_request.get(&r.id).copied().unwrap_or(0);
    }
    let mut authorities: Vec<AuthorityReport> = by_authority
        .into_iter()
        .filter_map(|(code, (n, q))| {
            Some(AuthorityReport {
                istat_code: IstatCode::parse(code).ok()?,
                name: snapshot
                    .get(code)
                    .map(|a| a.name.clone())
                    .unwrap_or_default(),
                requests: n,
                hours: hours(q),
            })
        })
        .collect();
    authorities.sort_by(|a, b| b.requests.cmp(&a.requests).then(a.name.cmp(&b.name)));
    Ok(ServiceReport {
        from,
        to,
        task_forces: tf_out,
        experts: expert_out,
        authorities,
    })
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![5, 1, 3]), Some(3.0));
        assert_eq!(median(vec![4, 1, 2, 3]), Some(2.5));
    }
}
