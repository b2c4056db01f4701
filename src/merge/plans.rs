//! Which records the merge drops as copies: the dedup plan of each copy
//! group at each key, made as the group's first record there is popped
//! (the planning itself is `dedup::Planner`'s).

use std::io;

use super::dedup::{GroupPlan, RunsFrom};
use super::{Direction, Merge};
use crate::record::{Pos, Record};

impl Merge {
    /// If `record` is a copy that the dedup rule drops, the source whose
    /// copy is shown. Plans once per copy group and key: only keys that
    /// several sources of one group hold cost anything.
    pub(super) fn copy_shown(
        &mut self,
        source: usize,
        record: &Record,
        direction: Direction,
        group: u32,
    ) -> io::Result<Option<usize>> {
        if record.ts.is_none() {
            return Ok(None);
        }
        let ts = record.key;
        if self.plans_at != Some(ts) {
            self.plans_at = Some(ts);
            self.plans.clear();
        }
        let index = match self.plans.iter().position(|(g, _)| *g == group) {
            Some(index) => index,
            None => {
                let plan = self.plan(source, record, direction, group)?;
                self.plans.push((group, plan));
                self.plans.len() - 1
            }
        };
        Ok(self.plans[index].1.copy_of(source, record.start))
    }

    /// The plan for the records at `record`'s key of the sources in copy
    /// group `group`, as `record` (of `source`) is the group's first popped.
    fn plan(
        &mut self,
        source: usize,
        record: &Record,
        direction: Direction,
        group: u32,
    ) -> io::Result<GroupPlan> {
        let ts = record.key;
        let look_far =
            direction == Direction::Forward && self.across_until.is_some_and(|until| ts <= until);
        let look_across = self.across_at == Some(ts) || look_far;
        let mut members = std::mem::take(&mut self.members);
        members.clear();
        members.push(source);
        // Members whose records at `ts` lie further above the cursor than
        // its edge, and where they start.
        let mut far: Vec<(usize, Pos)> = Vec::new();
        if look_across {
            // After a seek the records at this key may lie on both sides of
            // the cursor: every source of the group is asked (once per seek).
            for other in 0..self.layouts.len() {
                if other == source || !self.enabled[other] || self.copy_group[other] != Some(group)
                {
                    continue;
                }
                let head_here = self.heads[other].is_some_and(|h| h.key == ts);
                let across = self.planner.touches_across(
                    &mut self.readers[other],
                    self.pos[other],
                    ts,
                    direction == Direction::Forward,
                )?;
                if head_here || across {
                    members.push(other);
                } else if look_far {
                    // Printed in a round before, anywhere above the cursor.
                    let reader = &mut self.readers[other];
                    let at = reader.seek_time(ts)?;
                    let holds = reader
                        .record_at(at)?
                        .is_some_and(|r| r.ts.is_some() && r.key == ts);
                    if holds && at < self.pos[other] {
                        members.push(other);
                        far.push((other, at));
                    }
                }
            }
        } else {
            // Else the group's other members are its heads at `ts` (a
            // head's key is its time; untimed heads sort at i64::MIN,
            // which no parsed time is).
            self.queue.ties_at(ts, &mut members);
            let copy_group = &self.copy_group;
            members.retain(|&m| copy_group[m] == Some(group));
        }
        let plan = if members.len() < 2 {
            GroupPlan::single(ts)
        } else {
            members.sort_unstable();
            // Past the first key after a seek, runs start (forward) or end
            // (backward) at the heads; the popped record's own run at the
            // record itself.
            let runs = match (look_across, direction) {
                (true, _) => RunsFrom::Around,
                (false, Direction::Forward) => RunsFrom::Start,
                (false, Direction::Backward) => RunsFrom::End,
            };
            // Only members' anchors are read: copy those, not all K.
            self.anchors.resize(self.pos.len(), Pos::START);
            for &m in &members {
                self.anchors[m] = self.pos[m];
            }
            for &(m, at) in &far {
                self.anchors[m] = at;
            }
            match runs {
                RunsFrom::Start => self.anchors[source] = record.at(),
                RunsFrom::End => self.anchors[source] = record.after(),
                RunsFrom::Around => {}
            }
            self.planner
                .plan(&mut self.readers, ts, &members, &self.anchors, runs)?
        };
        self.members = members;
        Ok(plan)
    }
}
