//! `aio::sync::oneshot` between spawned tasks: delivery, a dropped sender
//! failing the receiver, and a dropped receiver failing the sender.

use aio::sync::oneshot;
use aio::task::yield_now;

#[aio::test]
async fn value_crosses_tasks() {
    let (tx, rx) = oneshot::channel();
    let producer = aio::spawn(async move {
        yield_now().await;
        tx.send(String::from("done")).unwrap();
    });
    assert_eq!(rx.await.unwrap(), "done");
    producer.await.unwrap();
}

#[aio::test]
async fn dropped_sender_fails_the_waiting_receiver() {
    let (tx, rx) = oneshot::channel::<u32>();
    let dropper = aio::spawn(async move {
        yield_now().await;
        drop(tx);
    });
    assert!(rx.await.is_err());
    dropper.await.unwrap();
}

#[aio::test]
async fn aborted_sender_task_fails_the_receiver() {
    let (tx, rx) = oneshot::channel::<u32>();
    let never = aio::spawn(async move {
        std::future::pending::<()>().await;
        let _ = tx.send(1);
    });
    yield_now().await;
    never.abort();
    assert!(rx.await.is_err());
}

#[aio::test]
async fn sender_learns_the_receiver_is_gone() {
    let (mut tx, rx) = oneshot::channel::<u32>();
    let watcher = aio::spawn(async move {
        tx.closed().await;
        tx.send(5)
    });
    yield_now().await;
    drop(rx);
    assert_eq!(watcher.await.unwrap(), Err(5));
}

#[aio::test]
async fn try_recv_and_close() {
    let (tx, mut rx) = oneshot::channel();
    assert_eq!(rx.try_recv(), Err(oneshot::error::TryRecvError::Empty));
    rx.close();
    assert!(tx.is_closed());
    assert_eq!(tx.send(1), Err(1));
    assert_eq!(rx.try_recv(), Err(oneshot::error::TryRecvError::Closed));
}
