//! The baseline of the `ldap` scenario (`ldap-direct`): an LDAP login done directly with the
//! library Tessera uses (ldap3 0.12.1, tokio, no TLS), no HTTP, exactly the directory work of
//! one AssumeRoleWithLDAPIdentity: on one long-lived lookup connection bound as the lookup
//! account and shared by all workers (as Tessera shares one), a subtree search for the login
//! name with no attributes (`1.1`); then a fresh connection, a simple bind as the user's DN and
//! an unbind (sent from a task of its own, as Tessera does); then the group search for the
//! user's DN on the lookup connection. Filters are filled and escaped as Tessera fills them.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry};

use crate::directory::{
    GROUP_FILTER, GROUPS_DN, LOOKUP_DN, LOOKUP_PASSWORD, PEOPLE_DN, USER_FILTER, USERS,
};
use crate::report::LDAP_DIRECT;
use crate::scenarios::{self, AsyncOp, Bounds, Measurement, Scenario};

/// Tessera's default connect timeout, given to ldap3 the same way.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The lookup connection and how to dial the user binds' connections.
pub struct DirectLogin {
    url: String,
    settings: LdapConnSettings,
    lookup: Ldap,
}

impl DirectLogin {
    /// Dials `url` (`ldap://127.0.0.1:PORT`) and binds the lookup account.
    pub async fn connect(url: &str) -> Result<Self> {
        let settings = LdapConnSettings::new()
            .set_conn_timeout(CONNECT_TIMEOUT)
            .set_starttls(false);
        let mut lookup = dial(url, &settings).await?;
        lookup
            .simple_bind(LOOKUP_DN, LOOKUP_PASSWORD)
            .await
            .and_then(ldap3::LdapResult::success)
            .with_context(|| format!("binding the lookup account {LOOKUP_DN}"))?;
        Ok(Self {
            url: url.to_owned(),
            settings,
            lookup,
        })
    }

    /// One login: the user's DN found, the password proved, the groups found; returns the
    /// number of groups (an error unless the user is in at least one, as the scenario needs).
    pub async fn login(&self, username: &str, password: &str) -> Result<usize> {
        let mut lookup = self.lookup.clone();
        let filter = USER_FILTER.replace("%s", &ldap3::ldap_escape(username));
        let users = search(&mut lookup, PEOPLE_DN, &filter).await?;
        let [user] = users.as_slice() else {
            bail!("`{username}` matched {} entries, not one", users.len());
        };
        let mut conn = dial(&self.url, &self.settings).await?;
        let bound = conn.simple_bind(&user.dn, password).await;
        tokio::spawn(async move {
            let _ = conn.unbind().await;
        });
        let bound = bound.context("user bind")?;
        if bound.rc != 0 {
            bail!(
                "user bind of {}: result code {} {}",
                user.dn,
                bound.rc,
                bound.text
            );
        }
        let filter = GROUP_FILTER.replace("%d", &ldap3::ldap_escape(&user.dn));
        let groups = search(&mut lookup, GROUPS_DN, &filter).await?;
        if groups.is_empty() {
            bail!("{} is in no group", user.dn);
        }
        Ok(groups.len())
    }

    /// Closes the lookup connection.
    pub async fn close(mut self) {
        let _ = self.lookup.unbind().await;
    }
}

/// A connection to `url`, its I/O driven by a task of its own.
async fn dial(url: &str, settings: &LdapConnSettings) -> Result<Ldap> {
    let (conn, ldap) = LdapConnAsync::with_settings(settings.clone(), url)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    tokio::spawn(async move {
        let _ = conn.drive().await;
    });
    Ok(ldap)
}

/// A subtree search under `base` asking for no attributes; the entries found.
async fn search(ldap: &mut Ldap, base: &str, filter: &str) -> Result<Vec<SearchEntry>> {
    let (entries, _) = ldap
        .search(base, Scope::Subtree, filter, vec!["1.1"])
        .await
        .and_then(ldap3::SearchResult::success)
        .with_context(|| format!("searching {base} for {filter}"))?;
    Ok(entries.into_iter().map(SearchEntry::construct).collect())
}

/// The logins of a run: [`USERS`] round-robin by sequence number.
pub fn login_op(login: Arc<DirectLogin>) -> AsyncOp {
    Arc::new(move |seq| {
        let login = login.clone();
        let (user, password) = USERS[(seq % USERS.len() as u64) as usize];
        Box::pin(async move { login.login(user, password).await.map(|_| 0u64) })
            as Pin<Box<dyn Future<Output = Result<u64>> + Send>>
    })
}

/// `ldap-direct` at `concurrency` workers within `bounds`, right after the Tessera run of the
/// same concurrency.
pub async fn measure(login: Arc<DirectLogin>, concurrency: usize, bounds: Bounds) -> Measurement {
    scenarios::run_async(
        LDAP_DIRECT,
        Scenario::Ldap,
        concurrency,
        bounds,
        login_op(login),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::Slapd;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn direct_logins_find_bind_and_list_groups() {
        let parent = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let slapd = Slapd::start(parent.path())
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        let login = DirectLogin::connect(&slapd.url())
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        // alice is in readers and writers, bob in readers.
        assert_eq!(login.login("alice", "alice-secret").await.ok(), Some(2));
        assert_eq!(login.login("bob", "bob-secret").await.ok(), Some(1));
        assert!(login.login("alice", "bob-secret").await.is_err());
        assert!(login.login("nobody", "x").await.is_err());
        assert!(login.login("eve*", "eve-secret").await.is_err(), "escaped");
        let login = Arc::new(login);
        let bounds = Bounds {
            duration: Duration::from_secs(30),
            max_requests: 40,
            op_timeout: Duration::from_secs(10),
        };
        let m = measure(login.clone(), 4, bounds).await;
        assert_eq!((m.ok, m.errors), (40, 0), "{:?}", m.first_error);
        assert_eq!(
            (m.target.as_str(), m.scenario.as_str()),
            ("ldap-direct", "ldap")
        );
        if let Ok(login) = Arc::try_unwrap(login) {
            login.close().await;
        }
        tokio::task::spawn_blocking(move || slapd.stop())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
}
