//! The driver under pressure: a completion queue forced to overflow is
//! handled (retried with backoff, never a spin or a panic), and
//! `Runtime::try_block_on` returns the output.

use std::rc::Rc;

use aio::fs::File;

/// A 2-entry ring (a 4-entry completion queue) with thousands of
/// operations completing at once: the kernel overflows the CQ and
/// `io_uring_enter` answers EBUSY until there is room. Every operation
/// completes and `try_block_on` returns `Ok`.
#[test]
fn thousands_of_completions_through_a_tiny_ring() {
    for driver in support_drivers() {
        let rt = aio::RuntimeBuilder::new()
            .driver(driver)
            .entries(2)
            .build()
            .unwrap();
        let out = rt.try_block_on(async {
            let file = Rc::new(File::open("/dev/zero").await.unwrap());
            let tasks: Vec<_> = (0..4000)
                .map(|i| {
                    let file = file.clone();
                    aio::spawn(async move {
                        let (res, buf) = file.read_at(Vec::with_capacity(16), 0).await;
                        assert_eq!(res.unwrap(), 16, "read {i}");
                        assert_eq!(buf, [0u8; 16]);
                    })
                })
                .collect();
            let mut done = 0;
            for t in tasks {
                t.await.unwrap();
                done += 1;
            }
            done
        });
        assert_eq!(out.unwrap(), 4000, "{driver:?}");
    }
}

#[test]
fn try_block_on_returns_the_output() {
    for driver in support_drivers() {
        let rt = aio::RuntimeBuilder::new().driver(driver).build().unwrap();
        let v = rt
            .try_block_on(async { aio::spawn(async { 7 }).await.unwrap() })
            .unwrap();
        assert_eq!(v, 7);
        // The runtime is still usable afterwards.
        assert_eq!(rt.block_on(async { 8 }), 8);
    }
}

fn support_drivers() -> Vec<aio::Driver> {
    support::drivers()
}

mod support;
