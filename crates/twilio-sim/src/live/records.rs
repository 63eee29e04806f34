//! The records live mode creates, kept beside the immutable dataset, and the merged view the
//! list endpoints page through (live records first: every one is newer than the dataset's
//! `now`, so newest-first order puts them all before the generated ones).

use std::collections::HashMap;

use crate::model::{Call, Message};
use crate::sid::Sid;

/// A record's place in its newest-first list: the instant the list is ordered by, then the SID
/// (as `generate` sorts).
pub(crate) trait Keyed {
    fn key(&self) -> (i64, Sid);
    fn sid(&self) -> Sid;
}

impl Keyed for Message {
    fn key(&self) -> (i64, Sid) {
        (self.sort_ms(), self.sid)
    }
    fn sid(&self) -> Sid {
        self.sid
    }
}

impl Keyed for Call {
    fn key(&self) -> (i64, Sid) {
        (self.start_time, self.sid)
    }
    fn sid(&self) -> Sid {
        self.sid
    }
}

/// Records that change in place: stored once (`slab`), found by SID, listed through `order`
/// (slab positions, newest first), which a change of a record's key re-sorts by one removal and
/// one insertion.
pub(crate) struct LiveList<T> {
    slab: Vec<T>,
    by_sid: HashMap<Sid, u32>,
    order: Vec<u32>,
}

impl<T> Default for LiveList<T> {
    fn default() -> Self {
        LiveList {
            slab: Vec::new(),
            by_sid: HashMap::new(),
            order: Vec::new(),
        }
    }
}

impl<T: Keyed> LiveList<T> {
    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }

    /// The record at list position `i` (newest first).
    pub(crate) fn at(&self, i: usize) -> &T {
        &self.slab[self.order[i] as usize]
    }

    pub(crate) fn get(&self, sid: Sid) -> Option<&T> {
        self.by_sid.get(&sid).map(|&i| &self.slab[i as usize])
    }

    /// The list position of the record `sid`.
    pub(crate) fn position(&self, sid: Sid) -> Option<usize> {
        let record = self.get(sid)?;
        let at = self.slot(record.key());
        (at < self.order.len() && self.at(at).sid() == sid).then_some(at)
    }

    /// Where a record with `key` goes in `order`: after every record with a greater key.
    fn slot(&self, key: (i64, Sid)) -> usize {
        self.order
            .partition_point(|&i| self.slab[i as usize].key() > key)
    }

    pub(crate) fn insert(&mut self, record: T) {
        let sid = record.sid();
        if self.by_sid.contains_key(&sid) {
            return;
        }
        let at = self.slot(record.key());
        let index = self.slab.len() as u32;
        self.slab.push(record);
        self.by_sid.insert(sid, index);
        self.order.insert(at, index);
    }

    /// Changes the record `sid` through `change`, keeping the list order; `None` when there is
    /// no such record.
    pub(crate) fn update<R>(&mut self, sid: Sid, change: impl FnOnce(&mut T) -> R) -> Option<R> {
        let index = *self.by_sid.get(&sid)?;
        let old = self.slab[index as usize].key();
        let out = change(&mut self.slab[index as usize]);
        let new = self.slab[index as usize].key();
        if new != old {
            let from = self
                .order
                .partition_point(|&i| i != index && self.slab[i as usize].key() > old);
            // The record's old key is gone, so search by position equality from there.
            if let Some(pos) = self.order[from..].iter().position(|&i| i == index) {
                self.order.remove(from + pos);
            }
            let at = self.slot(new);
            self.order.insert(at, index);
        }
        Some(out)
    }
}

/// One account's live messages and calls.
#[derive(Default)]
pub(crate) struct AccountLive {
    pub(crate) messages: LiveList<Message>,
    pub(crate) calls: LiveList<Call>,
}

/// Every account's live records, by Account SID.
#[derive(Default)]
pub(crate) struct LiveRecords {
    accounts: HashMap<String, AccountLive>,
}

impl LiveRecords {
    pub(crate) fn account(&self, sid: &str) -> Option<&AccountLive> {
        self.accounts.get(sid)
    }

    pub(crate) fn account_mut(&mut self, sid: &str) -> &mut AccountLive {
        self.accounts.entry(sid.to_string()).or_default()
    }

    /// How many live messages and calls exist, over every account.
    pub(crate) fn counts(&self) -> (usize, usize) {
        self.accounts.values().fold((0, 0), |(m, c), a| {
            (m + a.messages.len(), c + a.calls.len())
        })
    }
}

/// A generated list with the live records of the same account in front of it, addressed as one
/// newest-first list.
pub(crate) struct Merged<'a, T> {
    live: Option<&'a LiveList<T>>,
    base: &'a [T],
    base_index: &'a HashMap<Sid, u32>,
}

impl<'a, T: Keyed> Merged<'a, T> {
    pub(crate) fn new(
        live: Option<&'a LiveList<T>>,
        base: &'a [T],
        base_index: &'a HashMap<Sid, u32>,
    ) -> Self {
        Merged {
            live: live.filter(|l| l.len() > 0),
            base,
            base_index,
        }
    }

    fn live_len(&self) -> usize {
        self.live.map_or(0, LiveList::len)
    }

    pub(crate) fn len(&self) -> usize {
        self.live_len() + self.base.len()
    }

    pub(crate) fn at(&self, i: usize) -> &'a T {
        match self.live {
            Some(live) if i < live.len() => live.at(i),
            _ => &self.base[i - self.live_len()],
        }
    }

    /// The position of the record a page token names.
    pub(crate) fn position(&self, key: &str) -> Option<usize> {
        let sid = Sid::parse(key)?;
        if let Some(at) = self.live.and_then(|l| l.position(sid)) {
            return Some(at);
        }
        self.base_index
            .get(&sid)
            .map(|&i| i as usize + self.live_len())
    }

    /// The record `sid`, live or generated.
    pub(crate) fn get(&self, sid: Sid) -> Option<&'a T> {
        self.live.and_then(|l| l.get(sid)).or_else(|| {
            self.base_index
                .get(&sid)
                .and_then(|&i| self.base.get(i as usize))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MessageDirection, MessageStatus};

    fn message(id: u128, created: i64) -> Message {
        Message {
            sid: Sid::new(b"SM", id),
            date_created: created,
            date_sent: None,
            date_updated: created,
            direction: MessageDirection::OutboundApi,
            status: MessageStatus::Queued,
            from: 1,
            to: 2,
            body: 0,
            num_segments: 1,
            num_media: 0,
            price: None,
            error_code: None,
            service: None,
        }
    }

    fn sids(list: &LiveList<Message>) -> Vec<u128> {
        (0..list.len()).map(|i| list.at(i).sid.id).collect()
    }

    #[test]
    fn a_list_stays_newest_first_when_a_record_is_sent_later() {
        let mut list = LiveList::default();
        for (id, at) in [(1, 1000), (2, 2000), (3, 3000)] {
            list.insert(message(id, at));
        }
        assert_eq!(sids(&list), [3, 2, 1]);
        list.update(Sid::new(b"SM", 1), |m| m.date_sent = Some(5000));
        assert_eq!(sids(&list), [1, 3, 2]);
        for id in [1, 2, 3] {
            let sid = Sid::new(b"SM", id);
            assert_eq!(list.at(list.position(sid).unwrap()).sid, sid);
        }
    }

    #[test]
    fn equal_instants_order_by_sid_descending() {
        let mut list = LiveList::default();
        for id in [5, 9, 7] {
            list.insert(message(id, 1000));
        }
        assert_eq!(sids(&list), [9, 7, 5]);
        list.update(Sid::new(b"SM", 9), |m| m.status = MessageStatus::Sent);
        assert_eq!(sids(&list), [9, 7, 5]);
    }

    #[test]
    fn the_merged_view_puts_live_records_first_and_finds_both() {
        let mut live = LiveList::default();
        live.insert(message(10, 9000));
        let base = vec![message(2, 2000), message(1, 1000)];
        let index: HashMap<Sid, u32> = [(Sid::new(b"SM", 2), 0), (Sid::new(b"SM", 1), 1)].into();
        let view = Merged::new(Some(&live), &base, &index);
        assert_eq!(view.len(), 3);
        let order: Vec<u128> = (0..3).map(|i| view.at(i).sid.id).collect();
        assert_eq!(order, [10, 2, 1]);
        assert_eq!(view.position(&Sid::new(b"SM", 1).to_string()), Some(2));
        assert_eq!(view.position(&Sid::new(b"SM", 10).to_string()), Some(0));
        assert!(view.get(Sid::new(b"SM", 2)).is_some());
    }
}
