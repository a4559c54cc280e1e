//! Loops over the one-shot operations of [`AsyncReadRent`] and
//! [`AsyncWriteRent`]: `read_exact`, `readv_exact`, `read_to_end`,
//! `write_all`, `writev_all`.

use std::future::Future;
use std::io;
use std::time::Duration;

use crate::buf::{IoBuf, IoBufMut, SliceMut};
use crate::io::{AsyncReadRent, AsyncWriteRent};
use crate::BufResult;

/// Reading helpers for every [`AsyncReadRent`] (blanket-implemented; import
/// the trait to call them).
pub trait AsyncReadRentExt: AsyncReadRent {
    /// Reads until `buf`'s whole writable region is filled, returning its
    /// length (`bytes_total()` at the call).
    ///
    /// The region is the one [`IoBufMut`] defines: for a `Vec<u8>`, its spare
    /// capacity, which the allocator may have made larger than asked, so
    /// read exactly `n` bytes with `read_exact(vec.slice_mut(..n))`: it
    /// appends them to what `vec` holds (see [`SliceMut`]). For a
    /// `Box<[u8]>`, the region is the whole slice. An empty region is an
    /// `InvalidInput` error, as for [`read`](AsyncReadRent::read) (a
    /// zero-byte read that looked like success would hide a mis-sized
    /// buffer): skip the call when there is nothing to read.
    ///
    /// Reads that fail with [`ErrorKind::Interrupted`](io::ErrorKind::Interrupted)
    /// are retried.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::UnexpectedEof`](io::ErrorKind::UnexpectedEof) if the
    ///   stream ends before the region is full;
    /// - [`ErrorKind::InvalidInput`](io::ErrorKind::InvalidInput) if the
    ///   buffer has no room at all (see [`read`](AsyncReadRent::read));
    /// - any error of [`read`](AsyncReadRent::read).
    ///
    /// The buffer always comes back, with the bytes read before the error
    /// marked initialized (a `Vec`'s length grew by that many); how many is
    /// not otherwise reported.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: if the future is dropped after some reads completed,
    /// those bytes have been taken from the stream and are lost with the
    /// buffer.
    fn read_exact<B: IoBufMut>(&mut self, buf: B) -> impl Future<Output = BufResult<usize, B>>;

    /// [`read`](AsyncReadRent::read) with a deadline that gives the buffer
    /// back: if `duration` passes first, the read is cancelled and awaited,
    /// and the buffer returns with an
    /// [`ErrorKind::TimedOut`](io::ErrorKind::TimedOut) error; if the
    /// kernel completed the read before the cancellation reached it, its
    /// bytes are returned as `Ok(n)` (nothing is lost).
    ///
    /// `aio::time::timeout(d, r.read(buf))` instead drops the read on
    /// expiry: the buffer stays with the runtime until the kernel lets go
    /// of it, and bytes the kernel delivered meanwhile are lost with it.
    /// Use `read_timeout` where the buffer or the data matter, and see
    /// [`cancel_after`](crate::time::cancel_after) for the same deadline on
    /// any other operation.
    ///
    /// ```
    /// use std::time::Duration;
    /// use aio::io::AsyncReadRentExt;
    /// use aio::net::{TcpListener, TcpStream};
    ///
    /// # aio::Runtime::new().unwrap().block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    /// let mut client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (_silent, _) = listener.accept().await.unwrap();
    /// let buf = Vec::with_capacity(1024);
    /// let (res, buf) = client.read_timeout(buf, Duration::from_millis(20)).await;
    /// assert_eq!(res.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
    /// assert_eq!(buf.capacity(), 1024); // the buffer is back, ready to reuse
    /// # });
    /// ```
    ///
    /// A reader whose `read` is not one kernel operation (a buffered
    /// reader's, or one of your own) is stopped at the kernel operation it
    /// waits on; see `cancel_after` for the rule.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TimedOut`](io::ErrorKind::TimedOut) on expiry, or any
    /// error of `read`.
    ///
    /// # Panics
    ///
    /// Outside an aio runtime (the deadline is a runtime timer).
    ///
    /// # Cancel safety
    ///
    /// As for [`read`](AsyncReadRent::read).
    fn read_timeout<B: IoBufMut>(
        &mut self,
        buf: B,
        duration: Duration,
    ) -> impl Future<Output = BufResult<usize, B>>;
    /// Reads until end of stream, appending to `buf`, and returns how many
    /// bytes were read (what `buf` held before stays in front).
    ///
    /// Capacity grows geometrically: whenever `buf` is full it reserves at
    /// least as much again (32 bytes at first), so reading `n` bytes costs
    /// `O(log n)` reallocations. Reads that fail with
    /// [`ErrorKind::Interrupted`](io::ErrorKind::Interrupted) are retried.
    ///
    /// ```
    /// use aio::io::{AsyncReadRentExt, AsyncWriteRentExt};
    /// use aio::net::{TcpListener, TcpStream};
    ///
    /// # aio::Runtime::new().unwrap().block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    /// let mut client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (mut server, _) = listener.accept().await.unwrap();
    /// server.write_all(b"hello".to_vec()).await.0.unwrap();
    /// drop(server); // end of stream
    /// let (res, buf) = client.read_to_end(b"> ".to_vec()).await;
    /// assert_eq!(res.unwrap(), 5);
    /// assert_eq!(buf, b"> hello");
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// Any error of [`read`](AsyncReadRent::read) other than `Interrupted`;
    /// the buffer comes back holding every byte read before it.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: bytes read before the future is dropped are lost
    /// with the buffer.
    fn read_to_end(&mut self, buf: Vec<u8>) -> impl Future<Output = BufResult<usize, Vec<u8>>>;

    /// Reads until every buffer's writable region is filled, in order
    /// (scatter), returning the total (the sum of their `bytes_total()` at
    /// the call). An empty list, or buffers with no room, complete at once
    /// with `Ok(0)`.
    ///
    /// ```
    /// use aio::io::{AsyncReadRentExt, AsyncWriteRentExt};
    /// use aio::buf::IoBufMut;
    /// use aio::net::{TcpListener, TcpStream};
    ///
    /// # aio::Runtime::new().unwrap().block_on(async {
    /// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    /// let mut client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    /// let (mut server, _) = listener.accept().await.unwrap();
    /// server.write_all(b"headbody".to_vec()).await.0.unwrap();
    /// let bufs = vec![Vec::with_capacity(4).slice_mut(..4), Vec::with_capacity(4).slice_mut(..4)];
    /// let (res, bufs) = client.readv_exact(bufs).await;
    /// assert_eq!(res.unwrap(), 8);
    /// let bufs: Vec<Vec<u8>> = bufs.into_iter().map(|s| s.into_inner()).collect();
    /// assert_eq!(bufs, [b"head", b"body"]);
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::UnexpectedEof`](io::ErrorKind::UnexpectedEof) if the
    ///   stream ends before every region is full;
    /// - any error of [`readv`](AsyncReadRent::readv) other than
    ///   `Interrupted`, which is retried.
    ///
    /// The buffers always come back, in their order, with the bytes read
    /// before an error marked initialized.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe, as for [`read_exact`](AsyncReadRentExt::read_exact).
    fn readv_exact<B: IoBufMut>(
        &mut self,
        bufs: Vec<B>,
    ) -> impl Future<Output = BufResult<usize, Vec<B>>>;
}

impl<R: AsyncReadRent + ?Sized> AsyncReadRentExt for R {
    async fn read_exact<B: IoBufMut>(&mut self, buf: B) -> BufResult<usize, B> {
        let total = buf.bytes_total();
        if total == 0 {
            return (Err(crate::buf::no_room()), buf);
        }
        // The slice keeps the buffer's region in place while it fills (one
        // `set_init` on the buffer at the end) and moves its own region past
        // each read, so every read continues where the last one stopped.
        let mut slice = SliceMut::whole(buf);
        while slice.bytes_total() > 0 {
            let room = slice.bytes_total();
            let (res, back) = self.read(slice).await;
            slice = back;
            match res {
                Ok(0) => {
                    let err = io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "stream ended before read_exact filled the buffer",
                    );
                    return (Err(err), slice.into_inner());
                }
                // The reader reported the bytes through `set_init`, which
                // shrank the slice's region; a reader that forgot would make
                // this loop spin forever, so say so instead.
                Ok(_) if slice.bytes_total() == room => {
                    let err = io::Error::new(
                        io::ErrorKind::InvalidData,
                        "read_exact: the reader returned Ok(n > 0) without calling \
                         IoBufMut::set_init on the buffer (see AsyncReadRent's docs)",
                    );
                    return (Err(err), slice.into_inner());
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (Err(e), slice.into_inner()),
            }
        }
        (Ok(total), slice.into_inner())
    }

    async fn read_to_end(&mut self, mut buf: Vec<u8>) -> BufResult<usize, Vec<u8>> {
        let start = buf.len();
        loop {
            if buf.len() == buf.capacity() {
                buf.reserve(buf.capacity().max(32));
            }
            let before = buf.len();
            let (res, back) = self.read(buf).await;
            buf = back;
            match res {
                Ok(0) => return (Ok(buf.len() - start), buf),
                Ok(_) if buf.len() == before => return (Err(forgot_set_init("read_to_end")), buf),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (Err(e), buf),
            }
        }
    }

    async fn readv_exact<B: IoBufMut>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        let total: usize = bufs.iter().map(IoBufMut::bytes_total).sum();
        // Each buffer is read through a slice of its whole region, which
        // moves past what each read filled; `slices[first..]` is the unfilled
        // tail, and its first slice is the one the next read continues.
        let mut slices: Vec<_> = bufs.into_iter().map(SliceMut::whole).collect();
        let mut left = total;
        let res = loop {
            let first = slices.iter().position(|s| s.bytes_total() > 0);
            let Some(first) = first else { break Ok(total) };
            let rest = slices.split_off(first);
            let (res, mut back) = self.readv(rest).await;
            slices.append(&mut back);
            let now: usize = slices.iter().map(IoBufMut::bytes_total).sum();
            match res {
                Ok(0) => {
                    break Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "stream ended before readv_exact filled the buffers",
                    ))
                }
                Ok(_) if now == left => break Err(forgot_set_init("readv_exact")),
                Ok(_) => left = now,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        (res, slices.into_iter().map(SliceMut::into_inner).collect())
    }

    async fn read_timeout<B: IoBufMut>(
        &mut self,
        buf: B,
        duration: Duration,
    ) -> BufResult<usize, B> {
        match crate::time::cancel_after(duration, self.read(buf)).await {
            Ok(done) => done,
            Err((res, buf)) => (timed_out_if_cancelled(res, "read", duration), buf),
        }
    }
}

/// What an operation stopped by its deadline returns: `TimedOut` in place
/// of the cancellation's `ECANCELED`; anything the kernel reached first
/// (bytes read, another error) as it is.
pub(crate) fn timed_out_if_cancelled<T>(
    res: io::Result<T>,
    what: &str,
    after: Duration,
) -> io::Result<T> {
    match res {
        Err(e) if e.raw_os_error() == Some(libc::ECANCELED) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("{what} timed out after {after:?}; it was cancelled and its buffer returned"),
        )),
        other => other,
    }
}

/// Writing helpers for every [`AsyncWriteRent`] (blanket-implemented; import
/// the trait to call them).
pub trait AsyncWriteRentExt: AsyncWriteRent {
    /// Writes all of `buf`'s initialized bytes, looping over partial writes,
    /// and returns their number.
    ///
    /// Each retry writes a [`Slice`](crate::buf::Slice) of the rest, so
    /// nothing is copied. Writes that fail with
    /// [`ErrorKind::Interrupted`](io::ErrorKind::Interrupted) are retried.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::WriteZero`](io::ErrorKind::WriteZero) if a write
    ///   accepts no byte while some remain;
    /// - any error of [`write`](AsyncWriteRent::write).
    ///
    /// The buffer always comes back. After an error, a prefix of it may have
    /// been written; how long is not reported.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: a `write_all` dropped before it completes may have
    /// written a prefix of the buffer, and the caller cannot tell how much.
    fn write_all<B: IoBuf>(&mut self, buf: B) -> impl Future<Output = BufResult<usize, B>>;

    /// Writes all initialized bytes of every buffer in order (gather),
    /// looping over partial vectored writes, and returns their total.
    ///
    /// The first attempt writes `bufs` as they are; after a partial write the
    /// rest is written with further vectored writes that start at the first
    /// unwritten byte. An empty list, or buffers with no bytes, complete at
    /// once with `Ok(0)`.
    ///
    /// # Errors
    ///
    /// As for [`write_all`](AsyncWriteRentExt::write_all), with the errors of
    /// [`writev`](AsyncWriteRent::writev). The buffers always come back, in
    /// their order.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe, as for `write_all`.
    fn writev_all<B: IoBuf>(
        &mut self,
        bufs: Vec<B>,
    ) -> impl Future<Output = BufResult<usize, Vec<B>>>;
}

impl<W: AsyncWriteRent + ?Sized> AsyncWriteRentExt for W {
    async fn write_all<B: IoBuf>(&mut self, mut buf: B) -> BufResult<usize, B> {
        let total = buf.bytes_init();
        let mut written = 0;
        while written < total {
            let (res, back) = self.write(buf.slice(written..total)).await;
            buf = back.into_inner();
            match res {
                Ok(0) => return (Err(write_zero("write_all")), buf),
                // A writer that claims more than it was given is buggy; do not
                // let it push `written` past the end.
                Ok(n) => written += n.min(total - written),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (Err(e), buf),
            }
        }
        (Ok(total), buf)
    }

    async fn writev_all<B: IoBuf>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        let total: usize = bufs.iter().map(IoBuf::bytes_init).sum();
        if total == 0 {
            return (Ok(0), bufs);
        }
        // Fast path: one vectored write usually takes everything.
        let mut bufs = bufs;
        let n = loop {
            let (res, back) = self.writev(bufs).await;
            bufs = back;
            match res {
                Ok(0) => return (Err(write_zero("writev_all")), bufs),
                Ok(n) if n >= total => return (Ok(total), bufs),
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (Err(e), bufs),
            }
        };
        // Partial write: view every buffer as a slice and write the unwritten
        // tail `slices[first..]`, whose first slice is advanced past its
        // written prefix.
        let mut slices: Vec<_> = bufs.into_iter().map(|b| b.slice(..)).collect();
        let mut first = 0;
        let mut written = n;
        advance(&mut slices, &mut first, n);
        let res = loop {
            if written >= total {
                break Ok(total);
            }
            let rest = slices.split_off(first);
            let (res, mut back) = self.writev(rest).await;
            slices.append(&mut back);
            match res {
                Ok(0) => break Err(write_zero("writev_all")),
                Ok(n) => {
                    let n = n.min(total - written);
                    written += n;
                    advance(&mut slices, &mut first, n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        (res, slices.into_iter().map(|s| s.into_inner()).collect())
    }
}

/// Moves `first` and the slice it names past `n` more written bytes, skipping
/// slices that become (or were) empty.
fn advance<B: IoBuf>(slices: &mut [crate::buf::Slice<B>], first: &mut usize, mut n: usize) {
    while let Some(slice) = slices.get_mut(*first) {
        let len = slice.bytes_init();
        if n < len {
            slice.advance(n);
            return;
        }
        slice.advance(len);
        n -= len;
        *first += 1;
    }
}

/// A reader returned `Ok(n > 0)` without marking the bytes initialized;
/// looping on would spin forever, so say so instead.
fn forgot_set_init(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "{what}: the reader returned Ok(n > 0) without calling IoBufMut::set_init \
             on the buffer (see AsyncReadRent's docs)"
        ),
    )
}

fn write_zero(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::WriteZero,
        format!("{what}: the writer accepted 0 bytes before the buffer was written"),
    )
}

#[cfg(test)]
mod tests;
