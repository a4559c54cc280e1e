//! Which call a fixed op submits: READ_FIXED/WRITE_FIXED exactly when the
//! buffer is registered on the ring it is submitted to.

use crate::driver::fd::SharedFd;
use crate::driver::{ops, Call, FixedBuffer, OpCode, CURRENT_POS};
use crate::pool::FixedBufPool;
use crate::{Driver, RuntimeBuilder};

fn runtime(driver: Driver) -> crate::Runtime {
    RuntimeBuilder::new()
        .driver(driver)
        .build()
        .expect("runtime")
}

fn fd() -> SharedFd {
    SharedFd::new(std::fs::File::open("/dev/null").unwrap().into())
}

#[test]
fn ops_use_the_table_only_on_their_own_ring() {
    for driver in crate::driver::available_drivers() {
        let rt = runtime(driver);
        let (pool, buf) = rt.block_on(async {
            let pool = FixedBufPool::new(4, 4096).unwrap();
            assert_eq!(pool.is_registered(), driver == Driver::IoUring);
            let mut bufs: Vec<_> = std::iter::from_fn(|| pool.get()).collect();
            assert_eq!(bufs.len(), 4);
            let indexes: Vec<_> = bufs.iter().map(|b| b.fixed_index()).collect();
            if driver == Driver::IoUring {
                // Consecutive slots, one per buffer.
                let first = indexes[0].expect("registered");
                assert_eq!(indexes, (first..first + 4).map(Some).collect::<Vec<_>>());
                let mut read = ops::ReadFixed::new(fd(), bufs.pop().unwrap(), 0);
                assert!(matches!(
                    read.call(),
                    Call::ReadFixed {
                        len: 4096,
                        offset: 0,
                        ..
                    }
                ));
                let mut write = ops::WriteFixed::new(fd(), bufs.pop().unwrap(), CURRENT_POS);
                assert!(matches!(write.call(), Call::WriteFixed { len: 0, .. }));
            } else {
                assert_eq!(indexes, [None; 4]);
                let mut read = ops::ReadFixed::new(fd(), bufs.pop().unwrap(), 0);
                assert!(matches!(read.call(), Call::Read { .. }));
            }
            drop(bufs);
            (pool.clone(), pool.get().unwrap())
        });
        // Another runtime of this thread: plain calls on the same memory.
        let other = runtime(driver);
        other.block_on(async {
            assert_eq!(buf.fixed_index(), None);
        });
        drop((other, rt));
        // Outside any runtime, after the pool's own is gone.
        assert_eq!(buf.fixed_index(), None);
        drop((pool, buf));
    }
}

#[test]
fn pools_get_disjoint_ranges_and_give_them_back() {
    if !crate::driver::available_drivers().contains(&Driver::IoUring) {
        return;
    }
    let rt = runtime(Driver::IoUring);
    rt.block_on(async {
        let a = FixedBufPool::new(3, 64).unwrap();
        let b = FixedBufPool::new(5, 64).unwrap();
        let first = |p: &FixedBufPool| {
            let mut all: Vec<_> = std::iter::from_fn(|| p.get()).collect();
            all.sort_by_key(|b| b.fixed_index());
            all[0].fixed_index().unwrap()
        };
        let (fa, fb) = (first(&a), first(&b));
        assert!(
            fa + 3 <= fb || fb + 5 <= fa,
            "ranges overlap: {fa}+3, {fb}+5"
        );
        drop(a);
        // a's range is free again: the next pool of 3 takes it.
        let c = FixedBufPool::new(3, 64).unwrap();
        assert_eq!(first(&c), fa);
        // No room for a table's worth more (refused before anything is
        // pinned, so no locked memory is needed for this).
        let all = FixedBufPool::new(crate::driver::MAX_FIXED_BUFS, 64).unwrap_err();
        assert_eq!(all.kind(), std::io::ErrorKind::OutOfMemory, "{all}");
        drop((b, c));
        // Everything is free again: the next pool starts the table.
        assert_eq!(first(&FixedBufPool::new(1, 64).unwrap()), 0);
    });
}
