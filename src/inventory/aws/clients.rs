//! SDK clients of the regional services, built once per region and reused: a client holds its
//! connection pool and credentials cache, so one per call would redo TLS and credential work.

use aws_config::{Region, SdkConfig};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// The clients of one service, keyed by region. Each is built from the shared configuration
/// with only the region replaced.
pub(super) struct RegionalClients<C> {
    config: SdkConfig,
    build: fn(&SdkConfig) -> C,
    clients: Mutex<HashMap<String, C>>,
}

impl<C: Clone> RegionalClients<C> {
    /// `build` is the service's `Client::new`.
    pub(super) fn new(config: &SdkConfig, build: fn(&SdkConfig) -> C) -> Self {
        RegionalClients { config: config.clone(), build, clients: Mutex::new(HashMap::new()) }
    }

    /// The client for `region`, built on first use.
    pub(super) fn get(&self, region: &str) -> C {
        // A panic elsewhere while the lock was held leaves the map intact: keep using it.
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        clients
            .entry(region.to_string())
            .or_insert_with(|| (self.build)(&self.config.to_builder().region(Region::new(region.to_string())).build()))
            .clone()
    }

    /// Puts a prepared client (one answering from mocks) in place of the one `get` would build.
    #[cfg(test)]
    pub(super) fn insert(&self, region: &str, client: C) {
        self.clients.lock().unwrap_or_else(PoisonError::into_inner).insert(region.to_string(), client);
    }
}
