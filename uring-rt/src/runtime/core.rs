//! The per-runtime state: run queue, task registry, timers and driver.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::rc::Rc;
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

use slab::Slab;

use super::builder::RuntimeBuilder;
use super::metrics::{Counters, Counts, SlowPolls};
use super::task::raw::{TaskRef, COMPLETE, JOIN_INTEREST, RUNNING, SCHEDULED};
use super::task::JoinHandle;
use super::time::{Clock, Timers};
use super::Shared;
use crate::driver::IoDriver;
use crate::Driver;

/// Most tasks run in one tick before the driver gets a turn, so a flood of
/// ready tasks cannot starve I/O completions.
const MAX_TASKS_PER_TICK: usize = 1024;

/// While tasks are ready and none submitted I/O, the driver's (non-blocking)
/// turn is skipped until this many task polls have run, as tokio's
/// `event_interval`: spawn/join and yield loops then cost no syscall each,
/// and completions of earlier I/O are still reaped at least this often.
const POLLS_PER_IDLE_TURN: u32 = 64;

pub(crate) struct Core {
    shared: Arc<Shared>,
    driver: Rc<IoDriver>,
    run_queue: RefCell<VecDeque<TaskRef>>,
    /// Every task not yet complete, so shutdown can drop their futures.
    registry: RefCell<Slab<TaskRef>>,
    timers: RefCell<Timers>,
    /// The time the timers run by: the system's, or paused for tests.
    clock: Clock,
    /// Wakers of fired timers, woken after the timers are unborrowed; kept
    /// to reuse its memory.
    fired: Cell<Vec<Waker>>,
    /// Task polls since the driver's last turn.
    polls_since_turn: Cell<u32>,
    /// What `aio::metrics` reports.
    counters: Counters,
    /// Times polls against the slow-poll threshold.
    slow_polls: SlowPolls,
    /// The clock reading that ended the last timed poll, while nothing
    /// but the scheduler's bookkeeping ran since: the next tick's first
    /// poll is timed from it, saving a clock read per tick. Cleared when
    /// time passes that is no task's: a driver turn (which may wait, and
    /// runs wakers and buffer destructors), a poll of `block_on`'s root
    /// future, the runtime left.
    poll_mark: Cell<Option<u64>>,
}

impl Core {
    pub(crate) fn new(builder: &RuntimeBuilder) -> io::Result<Core> {
        let driver = IoDriver::new(builder.driver, builder.entries)?;
        let shared = Arc::new(Shared::new(driver.unparker().clone()));
        let core = Core {
            shared,
            driver: Rc::new(driver),
            run_queue: RefCell::new(VecDeque::with_capacity(256)),
            registry: RefCell::new(Slab::with_capacity(256)),
            timers: RefCell::new(Timers::new()),
            clock: Clock::new(),
            fired: Cell::new(Vec::new()),
            polls_since_turn: Cell::new(0),
            counters: Counters::default(),
            slow_polls: SlowPolls::new(builder.slow_poll_threshold, builder.slow_poll_hook.clone()),
            poll_mark: Cell::new(None),
        };
        if builder.start_paused {
            core.pause_clock();
        }
        Ok(core)
    }

    /// Pauses the clock (`aio::time::pause`), on the timer wheel's grid.
    ///
    /// # Panics
    ///
    /// Panics if it is paused already.
    #[track_caller]
    pub(crate) fn pause_clock(&self) {
        let origin = self.timers.borrow().origin();
        self.clock.pause(origin, super::time::TICK);
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub(crate) fn driver(&self) -> &Rc<IoDriver> {
        &self.driver
    }

    pub(crate) fn kind(&self) -> Driver {
        self.driver.kind()
    }

    pub(crate) fn timers(&self) -> &RefCell<Timers> {
        &self.timers
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Spawns `future` as a task; `location` is where user code spawned it.
    pub(crate) fn spawn<F>(
        &self,
        future: F,
        location: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let [registered, queued, join] = TaskRef::new(future, self.shared.clone(), location);
        Counters::add(&self.counters.tasks_spawned, 1);
        let mut registry = self.registry.borrow_mut();
        let entry = registry.vacant_entry();
        registered.set_registry_index(entry.key());
        entry.insert(registered);
        drop(registry);
        self.run_queue.borrow_mut().push_back(queued);
        JoinHandle::new(join)
    }

    /// Puts a woken task on the run queue unless it is already there or done.
    #[inline]
    pub(crate) fn schedule_local(&self, task: TaskRef) {
        let state = task.state();
        if state & (SCHEDULED | COMPLETE) != 0 {
            return;
        }
        task.set_state(state | SCHEDULED);
        self.run_queue.borrow_mut().push_back(task);
    }

    /// Runs the tasks that are ready now (those woken while they run wait
    /// for the next tick). Returns whether tasks are still ready.
    pub(crate) fn tick(&self) -> bool {
        let mut remote = 0;
        self.shared.drain(|task| {
            remote += 1;
            self.schedule_local(task)
        });
        Counters::add(&self.counters.remote_wakes, remote);
        let n = self.run_queue.borrow().len().min(MAX_TASKS_PER_TICK);
        // Timed polls are chained: the clock reading that ends one poll
        // starts the next, one read per poll instead of two (`SlowPolls`),
        // across ticks too while nothing else ran (`poll_mark`).
        let mut mark = self.poll_mark.take();
        if mark.is_none() && n > 0 {
            mark = self.slow_polls.start();
        }
        for _ in 0..n {
            let Some(task) = self.run_queue.borrow_mut().pop_front() else {
                break;
            };
            self.run(task, &mut mark);
        }
        self.poll_mark.set(mark);
        self.polls_since_turn
            .set(self.polls_since_turn.get().saturating_add(n as u32 + 1));
        !self.run_queue.borrow().is_empty()
    }

    /// Polls `task` once. `mark`: the clock reading the poll is timed
    /// from (`None`: polls are not timed), moved to the poll's end.
    fn run(&self, task: TaskRef, mark: &mut Option<u64>) {
        let state = task.state();
        if state & COMPLETE != 0 {
            return;
        }
        task.set_state((state & !SCHEDULED) | RUNNING);
        Counters::add(&self.counters.polls, 1);
        let done = crate::coop::budgeted(|| task.poll());
        task.set_state(task.state() & !RUNNING);
        if done {
            self.complete(&task);
        }
        // Timed after `complete`, which drops the future: a slow destructor
        // is the task's too, and the hook runs (user code) with the task's
        // state settled.
        let Some(start) = *mark else { return };
        let end = self.slow_polls.now();
        *mark = Some(end);
        if let Some(duration) = self.slow_polls.slow(start, end) {
            self.slow_poll(&task, duration);
            // The hook's own time is no task's poll.
            *mark = self.slow_polls.start();
        }
    }

    /// Counts and reports a slow poll of `task`. Kept out of line: `run`
    /// is on every poll's path, and inlining the report there costs the
    /// scheduler its own inlining.
    #[cold]
    #[inline(never)]
    fn slow_poll(&self, task: &TaskRef, duration: Duration) {
        Counters::add(&self.counters.slow_polls, 1);
        self.slow_polls.report(task.id(), task.location(), duration);
    }

    /// The counters, for `Runtime::metrics` and `aio::metrics::current`.
    pub(crate) fn counts(&self) -> Counts {
        let c = &self.counters;
        Counts {
            tasks_spawned: c.tasks_spawned.get(),
            tasks_alive: self.registry.borrow().len() as u64,
            polls: c.polls.get(),
            budget_yields: c.budget_yields(),
            remote_wakes: c.remote_wakes.get(),
            timers_active: self.timers.try_borrow().map_or(0, |t| t.len() as u64),
            slow_polls: c.slow_polls.get(),
            driver: self.driver.stats(),
        }
    }

    /// The runtime was entered on, or left, this thread.
    pub(crate) fn entered(&self, entered: bool) {
        self.poll_mark.set(None);
        if entered {
            self.counters.enter();
        } else {
            self.counters.leave();
        }
    }

    fn complete(&self, task: &TaskRef) {
        task.mark_complete();
        let state = task.state();
        let registered = self.registry.borrow_mut().remove(task.registry_index());
        if state & JOIN_INTEREST != 0 {
            if let Some(waker) = task.take_join_waker() {
                waker.wake();
            }
        } else {
            task.drop_stage();
        }
        drop(registered);
    }

    /// Fires expired timers, then makes one driver turn: submits what is
    /// queued and reaps completions, sleeping in the kernel (until the next
    /// timer at most) only if nothing is ready (`busy` false).
    pub(crate) fn park(&self, busy: bool) -> io::Result<()> {
        let (fired, next) = self.fire_timers();
        // A fired timer may wake the root future, which is not in the run
        // queue: don't sleep after firing any. A paused clock does not move
        // while the thread sleeps: only auto-advance or `advance` bring its
        // timers due.
        let mut timeout = if fired {
            Some(Duration::ZERO)
        } else if self.clock.is_paused() {
            None
        } else {
            next.map(|(deadline, now)| deadline.saturating_duration_since(now))
        };
        if busy || !self.run_queue.borrow().is_empty() {
            if self.polls_since_turn.get() < POLLS_PER_IDLE_TURN && !self.driver.needs_turn() {
                return Ok(());
            }
            timeout = Some(Duration::ZERO);
        }
        self.polls_since_turn.set(0);
        self.poll_mark.set(None);
        self.driver.turn(timeout)
    }

    /// `block_on`'s root future is about to be polled: its time is no
    /// task's (see `poll_mark`).
    pub(crate) fn polling_root(&self) {
        self.poll_mark.set(None);
    }

    /// Wakes the timers that are due. Returns whether any fired, and the
    /// next deadline with the clock reading it was compared against (`None`
    /// when no timer is left armed).
    fn fire_timers(&self) -> (bool, Option<(Instant, Instant)>) {
        let mut fired = self.fired.take();
        let next = {
            let mut timers = self.timers.borrow_mut();
            // The clock is read only when a timer is armed.
            timers.next_deadline().and_then(|deadline| {
                let now = self.clock.now();
                if deadline > now {
                    return Some((deadline, now));
                }
                timers.expire(now, &mut fired);
                timers.next_deadline().map(|next| (next, now))
            })
        };
        // Wake with the timers unborrowed, since a waker may be user code
        // that polls a timer.
        let any = !fired.is_empty();
        for waker in fired.drain(..) {
            waker.wake();
        }
        self.fired.set(fired);
        (any, next)
    }

    /// With the clock paused and nothing to run, moves it to the next
    /// timer's deadline and fires that timer (tokio's auto-advance).
    ///
    /// Before each move it gives I/O a non-blocking turn, and moves nothing
    /// if that (or another thread) woke anything, or while work that
    /// finishes on its own is running: blocking-pool jobs, the kernel's
    /// file operations (then `park` sleeps until that work completes).
    /// `woken`: whether `block_on`'s root future was woken. Returns `true`
    /// when the caller should loop round (something is ready to run)
    /// instead of parking.
    pub(crate) fn auto_advance(&self, woken: impl Fn() -> bool) -> io::Result<bool> {
        if !self.clock.is_paused() {
            return Ok(false);
        }
        loop {
            let (fired, next) = self.fire_timers();
            if fired {
                return Ok(true);
            }
            // Past timers were just expired: `next` is later than `now`.
            let Some((deadline, _now)) = next.filter(|&(d, now)| d > now) else {
                return Ok(false);
            };
            if self.shared.blocking_jobs() > 0 {
                return Ok(false);
            }
            self.polls_since_turn.set(0);
            self.poll_mark.set(None);
            self.driver.turn(Some(Duration::ZERO))?;
            if !self.run_queue.borrow().is_empty() || self.shared.notified() || woken() {
                return Ok(true);
            }
            if self.driver.finishing_work() {
                return Ok(false);
            }
            // A deadline on a coarse level of the wheel is where its slot
            // starts: the timer may only move down a level there (and the
            // loop goes on to its real deadline).
            self.clock.advance_to(deadline);
        }
    }

    /// Drops every task's future, then shuts the driver down (cancelling and
    /// draining in-flight operations), then drops whatever that spawned.
    /// User code runs throughout (futures' and buffers' destructors,
    /// wakers); a panic in it is re-raised only once the driver is shut
    /// down, so the kernel never writes into memory that unwinding freed.
    ///
    /// `grace` bounds the wait for the kernel to finish with cancelled
    /// operations (see `IoDriver::shutdown`).
    pub(crate) fn shutdown(&self, grace: Duration) {
        self.shared.close();
        let mut panic = catch_unwind(AssertUnwindSafe(|| self.cancel_tasks())).err();
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| self.driver.shutdown(grace))) {
            panic.get_or_insert(p);
        }
        // Buffers dropped during the driver's shutdown may have spawned.
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| self.cancel_tasks())) {
            panic.get_or_insert(p);
        }
        let timers = std::mem::take(&mut *self.timers.borrow_mut());
        drop(timers);
        if let Some(p) = panic {
            resume_unwind(p);
        }
    }

    /// Drops every spawned task while `block_on`'s root future unwinds, so
    /// their destructors run before the panic leaves `block_on` and see
    /// `thread::panicking()`. A destructor's own panic is contained (one
    /// escaping a drop during an unwind would abort the process) and lost.
    /// The runtime stays usable: its driver and timers are untouched.
    pub(crate) fn drop_tasks_unwinding(&self) {
        let _ = catch_unwind(AssertUnwindSafe(|| self.cancel_tasks()));
    }

    /// Cancels every registered task (and those their destructors spawn)
    /// and clears the run queue. Finishes the whole round even if some
    /// destructor panics, re-raising the first panic at the end.
    fn cancel_tasks(&self) {
        let mut panic = None;
        loop {
            let tasks: Vec<TaskRef> = self.registry.borrow_mut().drain().collect();
            if tasks.is_empty() {
                break;
            }
            for task in tasks {
                if let Err(p) = catch_unwind(AssertUnwindSafe(|| Core::cancel_task(&task))) {
                    panic.get_or_insert(p);
                }
            }
        }
        let queued: Vec<TaskRef> = self.run_queue.borrow_mut().drain(..).collect();
        drop(queued);
        if let Some(p) = panic {
            resume_unwind(p);
        }
    }

    fn cancel_task(task: &TaskRef) {
        let state = task.state();
        if state & COMPLETE != 0 {
            return;
        }
        task.cancel();
        task.mark_complete();
        if state & JOIN_INTEREST == 0 {
            task.drop_stage();
        }
        // Whoever awaits the handle (perhaps from another runtime) learns
        // the task was cancelled.
        if let Some(waker) = task.take_join_waker() {
            waker.wake();
        }
    }
}
