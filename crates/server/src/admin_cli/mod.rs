//! `tessera admin`: manage the users, groups, policies and service accounts of a running server
//! through MinIO's admin API v3 (`/minio/admin/v3/…`), signed with SigV4 (service `s3`), with
//! the bodies that carry secrets madmin-encrypted with the caller's secret key.
//!
//! This file owns the command line (clap types) and the dispatch; [`client`] the signed HTTP
//! client, [`output`] tables and JSON, and one file per area carries out its calls.
//!
//! # Usage
//!
//! ```text
//! export TESSERA_ENDPOINT=http://127.0.0.1:9000
//! export TESSERA_ACCESS_KEY=admin TESSERA_SECRET_KEY=…   # or MINIO_ROOT_USER / MINIO_ROOT_PASSWORD
//!
//! tessera admin user add alice 'alice-secret-1'          # `-` reads the secret from stdin
//! tessera admin policy create read-logs policy.json      # FILE `-` reads stdin
//! tessera admin policy attach read-logs --user alice
//! tessera admin group add devs alice bob
//! tessera admin policy attach readwrite --group devs
//! tessera admin user list
//! tessera admin --json user info alice
//! tessera admin policy entities --user alice --policy read-logs
//! tessera admin svcacct add --parent alice --policy narrow.json --name ci --expiry 2030-01-01T00:00:00Z
//! tessera admin svcacct edit AKEXAMPLE --status disabled
//! tessera admin policy detach read-logs --user alice
//! tessera admin user disable alice
//! tessera admin group remove devs bob                    # no members: removes the group
//! tessera admin user remove alice
//! tessera admin sts revoke --user alice --all            # or --type ci
//! tessera admin sts rotate-key
//! tessera admin idp ldap policy attach readonly --group 'cn=readers,ou=groups,dc=example,dc=com'
//! tessera admin idp ldap policy attach readwrite --user alice   # a login name or a DN
//! tessera admin idp ldap policy entities
//! tessera admin iam export iam.json                      # secrets inside: owner-only file
//! tessera admin --endpoint http://node-1:9000 iam import iam.json
//! ```
//!
//! Connection options come right after `admin` (`tessera admin --endpoint URL --access-key AK
//! --secret-key SK user list`, or the environment: `TESSERA_ENDPOINT`, `TESSERA_ACCESS_KEY`,
//! `TESSERA_SECRET_KEY`, falling back to `TESSERA_ROOT_USER`/`MINIO_ROOT_USER` and
//! `TESSERA_ROOT_PASSWORD`/`MINIO_ROOT_PASSWORD`); `--region` (default `us-east-1`),
//! `--ca-file PEM` for a server whose certificate a private CA signed (otherwise the system's
//! roots are trusted) and `--insecure` (no verification, with a warning) go there too. `--json`
//! may be given anywhere: it prints the server's JSON reply, decrypted, instead of a table;
//! changes whose reply is empty print nothing then.
//!
//! Failures exit with status 1 and print the server's error code and message (`tessera:
//! XMinioAdminNoSuchUser: … (HTTP 404 from …)`), or which endpoint could not be reached. The
//! secret key is never printed; only `svcacct add` prints the secret key it created.

mod client;
mod groups;
mod iam_transfer;
mod output;
mod policies;
mod sts;
mod svcacct;
mod users;

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand, ValueEnum};
use tessera_sigv4::Credentials;
use zeroize::Zeroizing;

use self::client::{AdminClient, ConnectOptions};
use self::output::Output;

pub const ADMIN_HELP: &str = "\
Environment (flags win):
  TESSERA_ENDPOINT                         like --endpoint
  TESSERA_ACCESS_KEY, TESSERA_SECRET_KEY   like --access-key / --secret-key; unset: the root
                                           credentials TESSERA_ROOT_USER / TESSERA_ROOT_PASSWORD,
                                           then MINIO_ROOT_USER / MINIO_ROOT_PASSWORD
  TESSERA_SESSION_TOKEN                    like --session-token
  TESSERA_REGION                           like --region

Connection options go right after `admin`; --json may go anywhere.
Example: tessera admin --endpoint http://127.0.0.1:9000 user list";

/// `tessera admin …`.
#[derive(Args)]
#[command(after_help = ADMIN_HELP)]
pub struct AdminArgs {
    #[command(flatten)]
    connection: Connection,
    /// Print the server's JSON reply (decrypted) instead of a table.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: AdminCommand,
}

/// Where the server is and who is asking.
#[derive(Args)]
struct Connection {
    /// The server: http://HOST:PORT or https://HOST:PORT.
    #[arg(long, env = "TESSERA_ENDPOINT", value_name = "URL")]
    endpoint: Option<String>,
    /// Access key to sign with (default: the root user from the environment).
    #[arg(long, env = "TESSERA_ACCESS_KEY", value_name = "AK")]
    access_key: Option<String>,
    /// Secret key of --access-key (default: the root password from the environment).
    #[arg(
        long,
        env = "TESSERA_SECRET_KEY",
        hide_env_values = true,
        value_name = "SK"
    )]
    secret_key: Option<String>,
    /// Session token, when signing with temporary (STS) credentials.
    #[arg(
        long,
        env = "TESSERA_SESSION_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    session_token: Option<String>,
    /// Region in the signature's scope.
    #[arg(long, env = "TESSERA_REGION", default_value = "us-east-1")]
    region: String,
    /// PEM file with the CA certificate(s) to trust for an https endpoint, instead of the
    /// system's roots.
    #[arg(long, value_name = "PEM")]
    ca_file: Option<PathBuf>,
    /// Do not verify the server's TLS certificate (prints a warning).
    #[arg(long)]
    insecure: bool,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Internal users: add, remove, enable, disable, list, info.
    #[command(subcommand)]
    User(UserCommand),
    /// Groups of users: add or remove members, list, info, enable, disable.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Policy documents and who they are attached to.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Service accounts: extra access keys of a user, optionally narrowed by a policy.
    #[command(subcommand)]
    Svcacct(SvcacctCommand),
    /// Temporary (STS) credentials: revoke sessions, list and rotate the signing keys.
    #[command(subcommand)]
    Sts(StsCommand),
    /// Identity providers: the LDAP directory's DN mappings.
    #[command(subcommand)]
    Idp(IdpCommand),
    /// All identity state at once: export it from one server, import it into another.
    #[command(subcommand)]
    Iam(IamCommand),
}

#[derive(Subcommand)]
pub enum IamCommand {
    /// Write every identity record (users with their secret keys, groups, policies, mappings,
    /// service accounts, the STS key ring, revocations) to FILE, readable by its owner only.
    Export {
        /// A new file (`-`: standard output).
        file: PathBuf,
    },
    /// Write the records of an export into the server's store (records of other keys stay).
    Import {
        /// An export (`-`: standard input).
        file: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum StsCommand {
    /// Refuse a user's temporary credentials issued until now (from the next request).
    Revoke {
        /// The user whose sessions end (default: the caller's own).
        #[arg(long)]
        user: Option<String>,
        /// Only the sessions minted with this `TokenRevokeType`.
        #[arg(long = "type", value_name = "TYPE", conflicts_with = "all")]
        revoke_type: Option<String>,
        /// Every session of the user.
        #[arg(long, required_unless_present = "revoke_type")]
        all: bool,
    },
    /// The signing keys of temporary credentials (ids and dates, never the keys).
    Keys,
    /// Sign new temporary credentials with a new key; the old key keeps verifying the
    /// credentials it signed until the longest of them can have expired.
    RotateKey,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user (enabled), or change an existing user's secret key.
    Add {
        /// The user's access key (its name).
        access_key: String,
        /// The user's secret key, 8 to 40 characters; `-` reads it from standard input.
        secret_key: String,
    },
    /// Remove a user, with its service accounts.
    Remove {
        /// The user's access key.
        access_key: String,
    },
    /// Let a disabled user sign requests again.
    Enable {
        /// The user's access key.
        access_key: String,
    },
    /// Refuse every request of a user (and of its service accounts) until enabled again.
    Disable {
        /// The user's access key.
        access_key: String,
    },
    /// Every user, with status, policies and groups.
    List,
    /// One user's status, policies and groups.
    Info {
        /// The user's access key.
        access_key: String,
    },
}

#[derive(Subcommand)]
pub enum GroupCommand {
    /// Add users to a group, creating the group if needed.
    Add {
        /// The group's name.
        group: String,
        /// Users to add.
        #[arg(required = true)]
        members: Vec<String>,
    },
    /// Remove users from a group; with no members named, remove the (empty) group itself.
    Remove {
        /// The group's name.
        group: String,
        /// Users to remove (none: remove the group, which must be empty).
        members: Vec<String>,
    },
    /// Every group.
    List,
    /// One group's status, policies and members.
    Info {
        /// The group's name.
        group: String,
    },
    /// Give a disabled group's policies back to its members.
    Enable {
        /// The group's name.
        group: String,
    },
    /// Stop a group's policies applying to its members.
    Disable {
        /// The group's name.
        group: String,
    },
}

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Create or replace a policy document from a JSON file (`-` reads standard input).
    Create {
        /// The policy's name.
        name: String,
        /// The JSON policy document, or `-` for standard input.
        file: PathBuf,
    },
    /// Remove a policy document (built-in policies cannot be removed).
    Remove {
        /// The policy's name.
        name: String,
    },
    /// Every policy, built-in ones included.
    List,
    /// One policy's document and dates.
    Info {
        /// The policy's name.
        name: String,
    },
    /// Attach policies to a user or a group.
    Attach(Attachment),
    /// Detach policies from a user or a group.
    Detach(Attachment),
    /// Which policies users and groups have, and who has a policy.
    Entities(EntitiesFilter),
}

/// Which mappings `entities` shows (all of them when nothing is named).
#[derive(Args)]
pub struct EntitiesFilter {
    /// A user whose policies to show (repeatable).
    #[arg(long = "user", value_name = "USER")]
    users: Vec<String>,
    /// A group whose policies to show (repeatable).
    #[arg(long = "group", value_name = "GROUP")]
    groups: Vec<String>,
    /// A policy whose users and groups to show (repeatable).
    #[arg(long = "policy", value_name = "POLICY")]
    policies: Vec<String>,
}

#[derive(Subcommand)]
pub enum IdpCommand {
    /// The LDAP directory's DN mappings.
    #[command(subcommand)]
    Ldap(LdapCommand),
}

#[derive(Subcommand)]
pub enum LdapCommand {
    /// Policies mapped to LDAP user and group DNs.
    #[command(subcommand)]
    Policy(LdapPolicyCommand),
}

#[derive(Subcommand)]
pub enum LdapPolicyCommand {
    /// Map policies to an LDAP user (DN or login name) or group DN; checked against the
    /// directory and kept in canonical form.
    Attach(Attachment),
    /// Remove policies from an LDAP user or group DN.
    Detach(Attachment),
    /// Which policies LDAP DNs have, and which DNs have a policy.
    Entities(EntitiesFilter),
}

#[derive(Args)]
pub struct Attachment {
    /// Policy names.
    #[arg(required = true)]
    policies: Vec<String>,
    #[command(flatten)]
    target: Target,
}

/// Exactly one of `--user` and `--group`.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct Target {
    /// The user to attach to or detach from.
    #[arg(long)]
    user: Option<String>,
    /// The group to attach to or detach from.
    #[arg(long)]
    group: Option<String>,
}

#[derive(Subcommand)]
pub enum SvcacctCommand {
    /// Create a service account and print its credentials (the secret key only this once).
    Add(SvcacctAdd),
    /// Remove a service account.
    Remove {
        /// The service account's access key.
        access_key: String,
    },
    /// The service accounts of USER (default: your own).
    List {
        /// The parent user (default: you).
        user: Option<String>,
    },
    /// One service account's parent, status, expiry and policy.
    Info {
        /// The service account's access key.
        access_key: String,
    },
    /// Change a service account's secret key, policy, status, name, description or expiry.
    Edit(SvcacctEdit),
}

#[derive(Args)]
pub struct SvcacctAdd {
    /// The user the account belongs to (default: you).
    #[arg(long, value_name = "USER")]
    parent: Option<String>,
    /// The new account's access key (default: generated).
    #[arg(long, value_name = "AK")]
    access_key: Option<String>,
    /// The new account's secret key (default: generated); `-` reads it from standard input.
    #[arg(long, value_name = "SK")]
    secret_key: Option<String>,
    /// JSON policy file narrowing the parent's policies (default: the parent's policies).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// A name for the account.
    #[arg(long)]
    name: Option<String>,
    /// A description of the account.
    #[arg(long)]
    description: Option<String>,
    /// When the account stops working, RFC 3339 (e.g. 2030-01-01T00:00:00Z).
    #[arg(long, value_name = "RFC3339")]
    expiry: Option<String>,
}

#[derive(Args)]
pub struct SvcacctEdit {
    /// The service account's access key.
    access_key: String,
    /// A new secret key; `-` reads it from standard input.
    #[arg(long, value_name = "SK")]
    secret_key: Option<String>,
    /// A JSON policy file replacing the embedded policy.
    #[arg(long, value_name = "FILE", conflicts_with = "clear_policy")]
    policy: Option<PathBuf>,
    /// Drop the embedded policy: the account gets its parent's policies again.
    #[arg(long)]
    clear_policy: bool,
    /// Enable or disable the account.
    #[arg(long)]
    status: Option<AccountStatus>,
    /// A new name.
    #[arg(long)]
    name: Option<String>,
    /// A new description.
    #[arg(long)]
    description: Option<String>,
    /// A new expiry, RFC 3339.
    #[arg(long, value_name = "RFC3339")]
    expiry: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum AccountStatus {
    Enabled,
    Disabled,
}

impl AccountStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
        }
    }
}

/// Runs one `tessera admin` command against the server.
pub async fn run(args: AdminArgs) -> anyhow::Result<()> {
    let out = Output { json: args.json };
    let client = args.connection.client()?;
    match args.command {
        AdminCommand::User(c) => users::run(&client, out, c).await,
        AdminCommand::Group(c) => groups::run(&client, out, c).await,
        AdminCommand::Policy(c) => policies::run(&client, out, c).await,
        AdminCommand::Svcacct(c) => svcacct::run(&client, out, c).await,
        AdminCommand::Sts(c) => sts::run(&client, out, c).await,
        AdminCommand::Iam(c) => iam_transfer::run(&client, out, c).await,
        AdminCommand::Idp(IdpCommand::Ldap(LdapCommand::Policy(c))) => {
            policies::run_ldap(&client, out, c).await
        }
    }
}

impl Connection {
    fn client(self) -> anyhow::Result<AdminClient> {
        let Some(endpoint) = self.endpoint.filter(|e| !e.is_empty()) else {
            bail!("no server given: pass --endpoint URL or set TESSERA_ENDPOINT");
        };
        let access_key = self
            .access_key
            .filter(|k| !k.is_empty())
            .or_else(|| env_either("TESSERA_ROOT_USER", "MINIO_ROOT_USER"));
        let secret_key = self
            .secret_key
            .filter(|k| !k.is_empty())
            .or_else(|| env_either("TESSERA_ROOT_PASSWORD", "MINIO_ROOT_PASSWORD"))
            .map(Zeroizing::new);
        let (Some(access_key), Some(secret_key)) = (access_key, secret_key) else {
            bail!(
                "no credentials: pass --access-key and --secret-key, or set TESSERA_ACCESS_KEY \
                 and TESSERA_SECRET_KEY (or the root user's MINIO_ROOT_USER and \
                 MINIO_ROOT_PASSWORD)"
            );
        };
        let credentials = Credentials::new(
            access_key,
            secret_key.as_str(),
            self.session_token.filter(|t| !t.is_empty()),
        );
        AdminClient::new(ConnectOptions {
            endpoint: &endpoint,
            credentials,
            region: &self.region,
            ca_file: self.ca_file.as_deref(),
            insecure: self.insecure,
        })
    }
}

/// The first of two environment variables that is set and not empty.
fn env_either(first: &str, second: &str) -> Option<String> {
    [first, second]
        .into_iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
}

/// A file's bytes, or standard input's for `-`.
fn read_input(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("reading standard input")?;
        Ok(buf)
    } else {
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
    }
}

/// A secret given on the command line, or read from standard input's first line for `-`.
fn read_secret(given: String) -> anyhow::Result<Zeroizing<String>> {
    let given = Zeroizing::new(given);
    if given.as_str() != "-" {
        return Ok(given);
    }
    let mut line = Zeroizing::new(String::new());
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the secret key from standard input")?;
    let secret = line.trim_end_matches(['\r', '\n']);
    if secret.is_empty() {
        bail!("standard input held no secret key");
    }
    Ok(Zeroizing::new(secret.to_owned()))
}
