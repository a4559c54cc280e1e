//! [`CoreLocal`]: the documented reason aio's I/O types are not `Send`.

#![forbid(unsafe_code)]

use std::marker::PhantomData;
use std::rc::Rc;

/// Why a socket, file, pool or timer of aio cannot move to another thread:
/// it belongs to the runtime (the core) that created it, whose ring or
/// epoll instance it is registered with and whose in-flight operations
/// hold it.
///
/// Every such type holds a `PhantomData<Rc<CoreLocal>>`, so a compiler
/// error about a missing `Send` names this type:
///
/// ```text
/// error[E0277]: `Rc<aio::marker::CoreLocal>` cannot be sent between threads safely
///   = help: within `aio::net::TcpStream`, the trait `Send` is not implemented for `Rc<aio::marker::CoreLocal>`
/// ```
///
/// What to do instead:
///
/// - spawn with `aio::spawn` (tasks need not be `Send`: they never leave
///   their core);
/// - move a connection to another core as a std socket:
///   `into_std()` here, `from_std()` there (see
///   [`TcpStream::into_std`](crate::net::TcpStream::into_std));
/// - send values between cores with `aio::cores::channel`,
///   `aio::cores::broadcast` or `aio::cores::mesh`, and give each core its
///   own state with `Cores::run_with`.
///
/// ```compile_fail
/// fn needs_send<T: Send>(_: T) {}
/// # aio::Runtime::new().unwrap().block_on(async {
/// let socket = aio::net::UdpSocket::bind("127.0.0.1:0").unwrap();
/// needs_send(socket); // error: `Rc<aio::marker::CoreLocal>` cannot be sent between threads safely
/// # });
/// ```
#[derive(Debug)]
pub struct CoreLocal {
    _private: (),
}

/// The field that makes a type `!Send` and `!Sync` with [`CoreLocal`] in
/// the error message.
pub(crate) type NotSend = PhantomData<Rc<CoreLocal>>;
