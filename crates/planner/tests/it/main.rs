//! The planner end to end on hand-written timetables.

mod safer;
