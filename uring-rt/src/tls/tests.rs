//! The record buffers are reused: steady traffic allocates none.

use std::sync::Arc;

use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};

use super::{TlsAcceptor, TlsConnector, TlsStream};
use crate::io::{AsyncReadRentExt, AsyncWriteRentExt};
use crate::net::UnixStream;
use crate::{Driver, RuntimeBuilder};

fn endpoints() -> (TlsAcceptor, TlsConnector) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_pair.serialize_der()));
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (
        TlsAcceptor::from(Arc::new(server)),
        TlsConnector::from(Arc::new(client)),
    )
}

/// Where each record buffer lives and how big it is.
fn buffers<S>(tls: &TlsStream<S>) -> [(usize, usize); 2] {
    [tls.incoming.buf_identity(), tls.outgoing.buf_identity()]
}

#[test]
fn record_buffers_are_reused() {
    let mut drivers = vec![Driver::Epoll];
    if RuntimeBuilder::new()
        .driver(Driver::IoUring)
        .build()
        .is_ok()
    {
        drivers.push(Driver::IoUring);
    }
    for driver in drivers {
        let rt = RuntimeBuilder::new().driver(driver).build().unwrap();
        rt.block_on(async {
            let (acceptor, connector) = endpoints();
            let (a, b) = UnixStream::pair().unwrap();
            let server = crate::spawn(acceptor.accept(a));
            let name = ServerName::try_from("localhost").unwrap();
            let mut client = connector.connect(name, b).await.unwrap();
            let mut server = server.await.unwrap().unwrap();
            let msg = vec![5u8; 40_000];
            let mut first = None;
            for _ in 0..50 {
                client.write_all(msg.clone()).await.0.unwrap();
                let (res, _) = server.read_exact(Vec::with_capacity(msg.len())).await;
                res.unwrap();
                server.write_all(msg.clone()).await.0.unwrap();
                let (res, _) = client.read_exact(Vec::with_capacity(msg.len())).await;
                res.unwrap();
                let now = (buffers(&client), buffers(&server));
                assert_eq!(*first.get_or_insert(now), now, "{driver:?}: a buffer moved");
            }
        });
    }
}
