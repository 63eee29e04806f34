//! A metric over several Twilio accounts (its scope is not the connection's own account): the
//! accounts are resolved at each sync from the recorded listing (listed again at most hourly),
//! each account is planned from its own synced span, and the windows of every account are
//! fetched interleaved under the connection's one in-flight limit, each (account, window)
//! replacing only that account's buckets.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use connector::{FetchError, HttpError};
use domain::AccountSid;
use jiff::Timestamp;
use metric::accounts::{compose, prefix};
use store::{BucketQuery, Lease, MetricId, Store, StoreError};
use tokio::task::JoinSet;
use twilio_request::{Param, RequestSpec};

use crate::accounts::{Discovery, discover};
use crate::config::HOUR_MS;
use crate::error::SyncError;
use crate::ledger::{RunLedger, SkippedAccount};
use crate::plan::{Plan, Shape, Span, plan, plan_range};
use crate::run::{
    Finished, SyncOptions, SyncReport, Syncer, count_fetch, merge_existing, task_result,
};
use crate::target::Target;
use crate::window::{Acc, Fetched, WindowJob};

/// How long a recorded listing of a connection's accounts is used before it is read again.
const LISTING_FRESH_MS: i64 = HOUR_MS;

/// The accounts a run reads, and why the listing could not be refreshed, if it could not.
struct Resolved {
    accounts: Vec<AccountSid>,
    listing_problem: Option<String>,
}

/// One account's part of a run.
struct AccountRun {
    sid: AccountSid,
    prefix: String,
    plan: Plan,
    job: WindowJob,
    /// Windows queued or in flight.
    pending: usize,
    /// Why the account's windows stopped: a refusal (skipped) or another failure.
    denied: Option<String>,
    failed: Option<String>,
}

impl<S: Store> Syncer<S> {
    /// Syncs a group of metrics sharing one multi-account request.
    pub(crate) async fn sync_accounts_group(
        &self,
        lease: Option<Lease>,
        targets: Vec<Target>,
        options: &SyncOptions,
        now: Timestamp,
    ) -> Vec<(MetricId, Result<SyncReport, SyncError>)> {
        let started = Instant::now();
        let now_ms = now.as_millisecond();
        let planned = match self.plan_accounts(&targets, options, now).await {
            Ok(p) => p,
            Err(error) => return fail_all(&targets, error),
        };
        let (resolved, mut runs_of) = planned;
        let range = union_range(&runs_of, now_ms);
        let windows: usize = runs_of.iter().map(|a| a.plan.windows.len()).sum();
        let runs = match self.start_runs(lease, &targets, range, now_ms).await {
            Ok(runs) => runs,
            Err(out) => return out,
        };
        let ids: Vec<i64> = targets.iter().map(|t| t.id().0).collect();
        let shape = runs_of.first().map_or(Shape::Windowed, |a| a.plan.shape);
        let mut ledgers: Vec<RunLedger> = targets
            .iter()
            .map(|t| RunLedger {
                shape: serde_json::to_value(shape)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                windows_planned: u32::try_from(windows).unwrap_or(u32::MAX),
                shared_with: ids.iter().copied().filter(|&i| i != t.id().0).collect(),
                accounts_requested: u32::try_from(runs_of.len()).unwrap_or(u32::MAX),
                accounts_listing: resolved.listing_problem.clone(),
                ..RunLedger::default()
            })
            .collect();
        let error = self
            .run_account_windows(lease, &targets, &mut runs_of, options, now, &mut ledgers)
            .await;
        self.record_account_outcomes(&targets, &runs_of, &mut ledgers)
            .await;
        let error = error.or_else(|| first_account_failure(&runs_of));
        // One set of raw pages per request fingerprint would mix the accounts' pages (the
        // fingerprint does not name the account), so a multi-account metric keeps none in this
        // version: an edited expression is recomputed by a sync.
        let raw_pages = match self.store.drop_raw_pages(&ids_of(&targets)).await {
            Ok(_) => "not kept (a metric over several accounts)".to_owned(),
            Err(e) => format!("not kept (a metric over several accounts); the older ones: {e}"),
        };
        let finished = Finished {
            range,
            windows_planned: u32::try_from(windows).unwrap_or(u32::MAX),
            error,
            raw_pages,
            started,
        };
        self.finish_runs(lease, &targets, runs, ledgers, finished, now)
            .await
    }

    /// The accounts to read and each one's plan.
    async fn plan_accounts(
        &self,
        targets: &[Target],
        options: &SyncOptions,
        now: Timestamp,
    ) -> Result<(Resolved, Vec<AccountRun>), SyncError> {
        let now_ms = now.as_millisecond();
        let Some(first) = targets.first() else {
            return Err(SyncError::Store(StoreError::Invalid {
                what: "sync plan",
                reason: "no metric to sync".to_owned(),
            }));
        };
        let resolved = self.resolve_accounts(first, now_ms).await?;
        let synced_to = self.synced_to(targets).await?;
        let spec = Arc::new(request_per_account(&first.spec));
        let mut runs = Vec::with_capacity(resolved.accounts.len());
        for sid in &resolved.accounts {
            let plan = match options.range {
                Some((from, to)) => plan_range(
                    &first.spec,
                    first.uses_sync_time,
                    from,
                    to,
                    now_ms,
                    &self.config,
                ),
                None => plan(
                    &first.spec,
                    first.uses_sync_time,
                    synced_to.get(sid).copied().flatten(),
                    now_ms,
                    &self.config,
                ),
            };
            let job = self.window_job(
                targets,
                first,
                spec.clone(),
                plan.shape,
                Some(sid.clone()),
                false,
                now,
            );
            runs.push(AccountRun {
                prefix: prefix(sid.as_str()),
                sid: sid.clone(),
                pending: plan.windows.len(),
                plan,
                job,
                denied: None,
                failed: None,
            });
        }
        Ok((resolved, runs))
    }

    /// The connection's requested accounts within the metric's scope, from the recorded
    /// listing, listed again first when there is none or it is older than an hour. Each new
    /// listing clears the recorded access problems, so a refused account is tried again hourly.
    async fn resolve_accounts(&self, t: &Target, now_ms: i64) -> Result<Resolved, SyncError> {
        let connection = &t.connection;
        let mut known = self.store.twilio_accounts(connection.id).await?;
        let last_listed = known.iter().map(|a| a.last_seen_ms).max();
        let mut listing_problem = None;
        if last_listed.is_none_or(|at| now_ms - at >= LISTING_FRESH_MS) {
            match discover(self.store.as_ref(), &self.connector, connection, now_ms).await {
                Ok(discovery) => {
                    if let Discovery::NotListable { reason } = discovery {
                        listing_problem = Some(reason);
                    }
                    for a in known.iter().filter(|a| a.access_problem.is_some()) {
                        self.store
                            .set_account_access(connection.id, &a.sid, None)
                            .await?;
                    }
                }
                Err(e) if !known.is_empty() => {
                    listing_problem = Some(format!(
                        "the accounts could not be listed again, the recorded listing was used: {e}"
                    ));
                }
                Err(e) => return Err(e.into()),
            }
            known = self.store.twilio_accounts(connection.id).await?;
        }
        let own = connection.account_sid.as_str();
        let accounts = known
            .into_iter()
            .filter(|a| a.is_requested() && t.accounts.includes(a.sid.as_str(), own))
            .map(|a| a.sid)
            .collect();
        Ok(Resolved {
            accounts,
            listing_problem,
        })
    }

    /// Per account, how far every metric of the group is synced (the least of them; `None`
    /// when one of them has never synced it, so it backfills).
    async fn synced_to(
        &self,
        targets: &[Target],
    ) -> Result<BTreeMap<AccountSid, Option<i64>>, SyncError> {
        let mut out: BTreeMap<AccountSid, Option<i64>> = BTreeMap::new();
        for (i, t) in targets.iter().enumerate() {
            let spans = self.store.metric_account_spans(t.id()).await?;
            let of: BTreeMap<_, _> = spans.into_iter().map(|s| (s.account, s.to_ms)).collect();
            if i == 0 {
                out = of.into_iter().map(|(k, v)| (k, Some(v))).collect();
            } else {
                for (sid, to) in out.iter_mut() {
                    *to = match (*to, of.get(sid)) {
                        (Some(a), Some(b)) => Some(a.min(*b)),
                        _ => None,
                    };
                }
            }
        }
        Ok(out)
    }

    /// Fetches every account's windows, interleaved (each account's first window before any
    /// account's second), at most `parallel_windows` at a time. A refused account stops and is
    /// skipped; any other failure stops that account's windows; the others go on. Returns a
    /// failure that stops the whole run (a store write refused, a task that died).
    async fn run_account_windows(
        &self,
        lease: Option<Lease>,
        targets: &[Target],
        accounts: &mut [AccountRun],
        options: &SyncOptions,
        now: Timestamp,
        ledgers: &mut [RunLedger],
    ) -> Option<String> {
        let parallel = self.window_parallelism();
        let mut queue = interleave(accounts);
        let mut running: JoinSet<(usize, Fetched)> = JoinSet::new();
        let mut error: Option<String> = None;
        let mut progress = crate::run::ProgressEvent {
            windows_done: 0,
            windows_total: u32::try_from(queue.len()).unwrap_or(u32::MAX),
            pages: 0,
        };
        loop {
            while error.is_none() && running.len() < parallel {
                let Some((i, span)) = queue.pop_front() else {
                    break;
                };
                let account = &mut accounts[i];
                if account.denied.is_some() || account.failed.is_some() {
                    account.pending -= 1;
                    continue;
                }
                let job = account.job.clone();
                running.spawn(async move { (i, job.fetch(span).await) });
            }
            let Some(joined) = running.join_next().await else {
                break;
            };
            let Some((i, fetched)) = task_result(joined, &mut error) else {
                continue;
            };
            count_fetch(ledgers, &mut progress, &fetched.ledger);
            let account = &mut accounts[i];
            let accs = match fetched.result {
                Ok(accs) => accs,
                Err(e) => {
                    account.pending -= 1;
                    match refusal(&e) {
                        Some(words) => account.denied = Some(words),
                        None => account.failed = Some(e.to_string()),
                    }
                    continue;
                }
            };
            if fetched.ledger.cap_hit
                && account.plan.shape == Shape::Windowed
                && let Some((a, b)) = fetched.span.halves()
            {
                for l in ledgers.iter_mut() {
                    l.splits += 1;
                }
                progress.windows_total += 1;
                account.pending += 1;
                queue.push_front((i, b));
                queue.push_front((i, a));
                continue;
            }
            for ((t, acc), ledger) in targets.iter().zip(accs).zip(ledgers.iter_mut()) {
                if let Err(e) = self
                    .store_account_window(lease, t, account, fetched.span, &acc, now)
                    .await
                {
                    error.get_or_insert_with(|| {
                        format!(
                            "metric '{}', account {}, window {}: {e}",
                            t.metric.name, account.sid, fetched.span
                        )
                    });
                    continue;
                }
                ledger.add_stored_window(&acc);
                if fetched.ledger.cap_hit {
                    ledger.partial_windows.push(fetched.span);
                }
            }
            account.pending -= 1;
            if account.pending == 0
                && account.failed.is_none()
                && error.is_none()
                && let Err(e) = self.extend_spans(lease, targets, account, now).await
            {
                error.get_or_insert_with(|| format!("account {}: {e}", account.sid));
            }
            progress.windows_done += 1;
            if let Some(report) = &options.progress {
                report(progress);
            }
        }
        error
    }

    /// Replaces one account's buckets of one window of one metric; the other accounts' stay.
    async fn store_account_window(
        &self,
        lease: Option<Lease>,
        t: &Target,
        account: &AccountRun,
        span: Span,
        acc: &Acc,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let now_ms = now.as_millisecond();
        let sid = account.sid.as_str();
        let mut rows = acc.bucket_rows();
        for row in &mut rows {
            let own = (!row.dimension.is_empty()).then_some(row.dimension.as_str());
            row.dimension = compose(sid, own);
        }
        if account.plan.shape == Shape::Snapshot {
            let existing: Vec<_> = self
                .store
                .buckets(&BucketQuery {
                    metric: t.id(),
                    dimension: None,
                    from_ms: span.from_ms,
                    to_ms: span.to_ms,
                })
                .await?
                .into_iter()
                .filter(|b| b.dimension.starts_with(&account.prefix))
                .collect();
            if existing.iter().any(|b| b.latest_at_ms == now_ms) {
                return Ok(());
            }
            merge_existing(&mut rows, existing);
        }
        self.store
            .replace_prefix_window_under(
                lease,
                t.id(),
                &account.prefix,
                span.from_ms,
                span.to_ms,
                &rows,
            )
            .await?;
        Ok(())
    }

    /// Records that every metric of the group now covers the account's planned range.
    async fn extend_spans(
        &self,
        lease: Option<Lease>,
        targets: &[Target],
        account: &AccountRun,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let range = account.plan.range;
        if range.from_ms >= range.to_ms {
            return Ok(());
        }
        for t in targets {
            self.store
                .extend_metric_account_span(
                    lease,
                    t.id(),
                    &account.sid,
                    range.from_ms,
                    range.to_ms,
                    now.as_millisecond(),
                )
                .await?;
        }
        Ok(())
    }

    /// Records each refused account's problem, and the accounts read and skipped in the
    /// ledgers. A problem that cannot be recorded is only missing from the Data Manager: the
    /// ledger still says it.
    async fn record_account_outcomes(
        &self,
        targets: &[Target],
        accounts: &[AccountRun],
        ledgers: &mut [RunLedger],
    ) {
        let Some(first) = targets.first() else { return };
        let mut skipped = Vec::new();
        let mut read = 0u32;
        for a in accounts {
            if let Some(words) = &a.denied {
                if let Err(e) = self
                    .store
                    .set_account_access(first.connection.id, &a.sid, Some(words))
                    .await
                {
                    tracing::warn!(account = %a.sid, error = %e, "account access not recorded");
                }
                skipped.push(SkippedAccount {
                    account: a.sid.to_string(),
                    reason: words.clone(),
                });
            } else if let Some(failure) = &a.failed {
                skipped.push(SkippedAccount {
                    account: a.sid.to_string(),
                    reason: failure.clone(),
                });
            } else if a.pending == 0 {
                read += 1;
            }
        }
        for l in ledgers.iter_mut() {
            l.accounts_read = read;
            l.accounts_skipped.clone_from(&skipped);
        }
    }
}

/// The request as made for each account. Twilio's Usage Records of a parent include its
/// subaccounts by default, so a sum over the parent and its subaccounts would count the
/// subaccounts twice: every account is read with `IncludeSubaccounts=false` (the metric's own
/// value of it overridden), and the total over the accounts equals the parent's usage with them.
fn request_per_account(spec: &RequestSpec) -> RequestSpec {
    let mut spec = spec.clone();
    if spec.path.contains("/Usage/Records") {
        spec.params.retain(|p| p.key != "IncludeSubaccounts");
        spec.params.push(Param {
            key: "IncludeSubaccounts".into(),
            value: "false".into(),
        });
    }
    spec
}

/// Every account's first window, then every account's second, and so on.
fn interleave(accounts: &[AccountRun]) -> VecDeque<(usize, Span)> {
    let rounds = accounts
        .iter()
        .map(|a| a.plan.windows.len())
        .max()
        .unwrap_or(0);
    let mut queue = VecDeque::new();
    for round in 0..rounds {
        for (i, a) in accounts.iter().enumerate() {
            if let Some(span) = a.plan.windows.get(round) {
                queue.push_back((i, *span));
            }
        }
    }
    queue
}

/// The span every account's plan covers together (an empty span at now without accounts).
fn union_range(accounts: &[AccountRun], now_ms: i64) -> Span {
    let from = accounts.iter().map(|a| a.plan.range.from_ms).min();
    let to = accounts.iter().map(|a| a.plan.range.to_ms).max();
    match (from, to) {
        (Some(from_ms), Some(to_ms)) => Span { from_ms, to_ms },
        _ => {
            let hour = crate::config::hour_floor(now_ms);
            Span {
                from_ms: hour,
                to_ms: hour,
            }
        }
    }
}

/// Twilio refusing the key for an account (401 or 403), in the words the Data Manager shows.
fn refusal(error: &SyncError) -> Option<String> {
    let SyncError::Fetch { source, .. } = error else {
        return None;
    };
    let FetchError::Http { error, .. } = &source.error else {
        return None;
    };
    let HttpError::Status {
        status: status @ (401 | 403),
        twilio,
        ..
    } = error
    else {
        return None;
    };
    let detail = twilio
        .as_ref()
        .map(|t| format!(", {t}"))
        .unwrap_or_default();
    Some(format!(
        "the connection's key cannot read this account: Twilio answered HTTP {status}{detail}; \
         a Main key of the parent account reads its subaccounts"
    ))
}

fn first_account_failure(accounts: &[AccountRun]) -> Option<String> {
    accounts
        .iter()
        .find_map(|a| a.failed.as_ref().map(|f| format!("account {}: {f}", a.sid)))
}

fn ids_of(targets: &[Target]) -> Vec<MetricId> {
    targets.iter().map(Target::id).collect()
}

fn fail_all(
    targets: &[Target],
    error: SyncError,
) -> Vec<(MetricId, Result<SyncReport, SyncError>)> {
    let message = error.to_string();
    let mut first = Some(error);
    targets
        .iter()
        .map(|t| {
            let e = first.take().unwrap_or_else(|| {
                SyncError::Store(StoreError::Invalid {
                    what: "sync plan",
                    reason: message.clone(),
                })
            });
            (t.id(), Err(e))
        })
        .collect()
}
