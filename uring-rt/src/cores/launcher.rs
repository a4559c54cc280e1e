//! [`Cores`]: launches one pinned runtime per core and collects what each
//! returns.
//!
//! # Start-up protocol
//!
//! `run` (and `run_with`, which shares its body) resolves the CPU set,
//! failing before any thread starts (as does a `run_with` whose values do
//! not match the cores one for one), then starts one thread per core,
//! moving each core's value to it. Each thread pins itself and builds its
//! runtime, then reports to a [`Gate`] and waits. Once every thread has
//! reported (or a spawn failed), the launcher opens the gate: if every core
//! is ready the user's future starts on all of them, otherwise none starts
//! and `run` returns the set-up error. So a runtime that cannot start
//! (e.g. an io_uring limit hit on core 3) never leaves servers running on
//! cores 0..3 that nobody will stop.

use std::future::Future;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::thread;

use super::core_error::CoreError;
use super::current::set_current;
use super::gate::Gate;
use super::CoreId;
use crate::sys::affinity::{allowed_cpus, pin_current_thread};
use crate::RuntimeBuilder;

/// A set of CPUs to run one pinned runtime on each: see [`Cores::run`].
///
/// ```
/// use aio::cores::Cores;
///
/// # fn main() -> std::io::Result<()> {
/// let cpus = Cores::all().run(|core| async move {
///     assert_eq!(aio::cores::current(), Some(core));
///     core.id()
/// })?;
/// assert_eq!(cpus, Cores::all().cpus()?);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Cores {
    select: Select,
    pin: bool,
    builder: RuntimeBuilder,
}

#[derive(Clone, Debug)]
enum Select {
    All,
    First(usize),
    List(Vec<usize>),
}

impl Cores {
    /// Every CPU in the process's affinity mask (`sched_getaffinity`), in
    /// ascending order. Under `taskset -c 2,3` that is CPUs 2 and 3.
    pub fn all() -> Cores {
        Cores::with(Select::All)
    }

    /// The first `n` CPUs of the affinity mask. [`run`](Self::run) fails if
    /// the mask has fewer than `n` (or `n` is 0).
    pub fn first(n: usize) -> Cores {
        Cores::with(Select::First(n))
    }

    /// Exactly these CPUs, in this order (core `i` runs on `ids[i]`).
    /// [`run`](Self::run) fails if one is outside the affinity mask, is
    /// repeated, or the list is empty.
    pub fn list(ids: impl IntoIterator<Item = usize>) -> Cores {
        Cores::with(Select::List(ids.into_iter().collect()))
    }

    fn with(select: Select) -> Cores {
        Cores {
            select,
            pin: true,
            builder: RuntimeBuilder::new(),
        }
    }

    /// Whether each core's thread is pinned to its CPU with
    /// `sched_setaffinity` (default `true`). Unpinned threads may be moved
    /// by the scheduler; [`CoreId::id`] is then only a label.
    pub fn pin(mut self, pin: bool) -> Cores {
        self.pin = pin;
        self
    }

    /// The builder each core's runtime is built from (default
    /// `RuntimeBuilder::new()`); it is cloned once per core.
    pub fn runtime(mut self, builder: RuntimeBuilder) -> Cores {
        self.builder = builder;
        self
    }

    /// The CPUs this set resolves to, in core order: what `run` would use.
    /// Useful to size per-core tables before launching.
    ///
    /// # Errors
    /// As [`run`](Self::run) before it starts any thread: the affinity mask
    /// cannot be read (errno of `sched_getaffinity`), or the selection does
    /// not fit it (`InvalidInput`, naming the CPUs allowed).
    pub fn cpus(&self) -> io::Result<Vec<usize>> {
        let allowed = allowed_cpus()?;
        let invalid = |msg: String| {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{msg} (the process's affinity mask allows CPUs {allowed:?})"),
            ))
        };
        match &self.select {
            Select::All => Ok(allowed),
            Select::First(0) => invalid("Cores::first(0): at least one core is needed".into()),
            Select::First(n) if *n > allowed.len() => invalid(format!(
                "Cores::first({n}): only {} CPUs are available",
                allowed.len()
            )),
            Select::First(n) => Ok(allowed[..*n].to_vec()),
            Select::List(ids) => {
                if ids.is_empty() {
                    return invalid("Cores::list: the list is empty".into());
                }
                for (i, id) in ids.iter().enumerate() {
                    if !allowed.contains(id) {
                        return invalid(format!(
                            "Cores::list: CPU {id} is not in the affinity mask"
                        ));
                    }
                    if ids[..i].contains(id) {
                        return invalid(format!("Cores::list: CPU {id} is listed twice"));
                    }
                }
                Ok(ids.clone())
            }
        }
    }

    /// Runs `f(core)` on every core of the set, each on its own OS thread
    /// (named `aio-core-<cpu>`), pinned to its CPU (unless
    /// [`pin(false)`](Self::pin)), inside its own runtime; returns each
    /// core's output in core order once all have finished. The calling
    /// thread blocks meanwhile.
    ///
    /// `f` is called once per core, on that core's thread, so the future it
    /// returns need not be `Send`: it may hold `Rc`s, listeners and other
    /// core-local state. Only `f` itself and the outputs cross threads.
    /// Inside, [`current()`](super::current) returns the core.
    ///
    /// # Errors
    /// - Before any thread starts: the set does not fit the affinity mask
    ///   (see [`cpus`](Self::cpus)).
    /// - Before any core runs `f`: a thread could not be spawned, pinned, or
    ///   its runtime built. The error names the core; its source is the
    ///   original `io::Error` (errno included) and its kind is that error's.
    /// - After all cores finished: a core panicked (in `f`, its future, or
    ///   the runtime). The error (kind `Other`) names the core and carries
    ///   the panic message; the other cores ran to completion first, and
    ///   their outputs are dropped. Several failures are all listed.
    ///
    /// # Panics
    /// Does not panic for a core's panic (see Errors). A panic only takes
    /// the process down when built with `panic = "abort"`.
    pub fn run<F, Fut, T>(&self, f: F) -> io::Result<Vec<T>>
    where
        F: Fn(CoreId) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = T> + 'static,
        T: Send + 'static,
    {
        let cpus = self.cpus()?;
        let values = vec![(); cpus.len()];
        self.launch(cpus, values, move |core, ()| f(core))
    }

    /// Like [`run`](Self::run), but hands each core its own value: core `i`
    /// runs `f(core, values[i])`. The values are moved to the cores'
    /// threads, so each may be anything `Send` that the core then owns: its
    /// receiver, its shard of a table, its end of a [`mesh`](super::mesh).
    ///
    /// ```
    /// use aio::cores::Cores;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let cores = Cores::all();
    /// // One value per core, in core order.
    /// let shards: Vec<Vec<u64>> = (0..cores.cpus()?.len() as u64)
    ///     .map(|i| vec![i; 3])
    ///     .collect();
    /// let sums = cores.run_with(shards, |core, shard| async move {
    ///     assert_eq!(shard[0], core.index() as u64);
    ///     shard.iter().sum::<u64>()
    /// })?;
    /// for (i, sum) in sums.iter().enumerate() {
    ///     assert_eq!(*sum, 3 * i as u64);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`run`](Self::run), and before any thread starts: `values` does
    /// not hold exactly one value per core (`InvalidInput`, naming both
    /// counts). The values are then dropped on the calling thread.
    ///
    /// # Panics
    /// As [`run`](Self::run): a core's panic is returned as an error.
    pub fn run_with<V, F, Fut, T>(&self, values: Vec<V>, f: F) -> io::Result<Vec<T>>
    where
        V: Send + 'static,
        F: Fn(CoreId, V) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = T> + 'static,
        T: Send + 'static,
    {
        let cpus = self.cpus()?;
        if values.len() != cpus.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "Cores::run_with: {} values for {} cores (CPUs {cpus:?}); \
                     pass exactly one value per core, e.g. sized by `cpus()?.len()`",
                    values.len(),
                    cpus.len()
                ),
            ));
        }
        self.launch(cpus, values, f)
    }

    /// The body of [`run`](Self::run) and [`run_with`](Self::run_with):
    /// starts one thread per CPU of `cpus` (already resolved), hands core
    /// `i` the value `values[i]`, and collects the outputs. `values` holds
    /// exactly one value per CPU.
    fn launch<V, F, Fut, T>(&self, cpus: Vec<usize>, values: Vec<V>, f: F) -> io::Result<Vec<T>>
    where
        V: Send + 'static,
        F: Fn(CoreId, V) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = T> + 'static,
        T: Send + 'static,
    {
        debug_assert_eq!(cpus.len(), values.len());
        let f = Arc::new(f);
        let gate = Arc::new(Gate::default());
        let mut threads = Vec::with_capacity(cpus.len());
        let mut spawn_error = None;

        for ((index, &cpu), value) in cpus.iter().enumerate().zip(values) {
            let core = CoreId::new(index, cpu);
            let (f, gate, builder, pin) = (
                Arc::clone(&f),
                Arc::clone(&gate),
                self.builder.clone(),
                self.pin,
            );
            let spawned = thread::Builder::new()
                .name(format!("aio-core-{cpu}"))
                .spawn(move || core_main(core, pin, builder, &gate, value, &*f));
            match spawned {
                Ok(handle) => threads.push((core, handle)),
                Err(e) => {
                    spawn_error = Some(CoreError::io(core, "spawning its thread", e));
                    break;
                }
            }
        }
        gate.open_when_ready(threads.len(), spawn_error.is_none());

        let mut outputs = Vec::with_capacity(threads.len());
        let mut failures: Vec<CoreError> = spawn_error.into_iter().collect();
        for (core, handle) in threads {
            match handle.join() {
                Ok(Ok(out)) => outputs.push(out),
                Ok(Err(CoreExit::Failed(e))) => failures.push(e),
                Ok(Err(CoreExit::NotStarted)) => {}
                Err(payload) => {
                    let error = CoreError::panic(core, payload);
                    error.trace_panic();
                    failures.push(error);
                }
            }
        }
        if failures.is_empty() {
            return Ok(outputs);
        }
        failures.sort_by_key(|e| e.core);
        Err(CoreError::into_io(failures))
    }
}

/// How a core thread ended without an output (a panic is the join error).
enum CoreExit {
    /// Its own set-up failed.
    Failed(CoreError),
    /// Another core's set-up failed, so it did not run `f`.
    NotStarted,
}

fn core_main<V, F, Fut, T>(
    core: CoreId,
    pin: bool,
    builder: RuntimeBuilder,
    gate: &Gate,
    value: V,
    f: &F,
) -> Result<T, CoreExit>
where
    F: Fn(CoreId, V) -> Fut,
    Fut: Future<Output = T>,
{
    set_current(core);
    // A panic while setting up must still reach the gate, or the launcher
    // would wait for this thread for ever: catch it, arrive, re-raise.
    let setup = panic::catch_unwind(AssertUnwindSafe(|| {
        if pin {
            pin_current_thread(core.id())
                .map_err(|e| CoreError::io(core, "pinning its thread", e))?;
        }
        builder
            .build()
            .map_err(|e| CoreError::io(core, "building its runtime", e))
    }));
    let go = gate.arrive(matches!(setup, Ok(Ok(_))));
    let rt = match setup {
        Ok(Ok(rt)) => rt,
        Ok(Err(e)) => return Err(CoreExit::Failed(e)),
        Err(payload) => panic::resume_unwind(payload),
    };
    if !go {
        return Err(CoreExit::NotStarted);
    }
    Ok(rt.block_on(f(core, value)))
}
