//! The scale-out topology as separate processes, on PostgreSQL and Redis: `platform migrate`,
//! then identity, authz, audit and blog each as its own `platform subgraph <name>`, then two
//! `platform gateway` processes sharing Redis, all with `PLATFORM_ENV=production` and the
//! committed config. Everything is configured the way a container is: `PLATFORM__...`
//! variables and `_FILE` secrets (the gateway's JWKS URL through a list index), nothing
//! mounted. Runs when `DATABASE_URL` and `REDIS_URL` are set (CI sets both).
//!
//! Each run gets its own database (`scale_<uuid>`, dropped afterwards), Redis stream and
//! rate-limit prefix, so reruns and parallel runs do not collide.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::gateway::free_port;
use crate::{arg, repo};

const SUBGRAPHS: [&str; 4] = ["identity", "authz", "audit", "blog"];
/// The shared budget of part (b): `RATE_LIMIT` requests per `RATE_WINDOW_MS` per operation
/// name. A long window: GCRA refills one request per window/limit (30 s), so a slow CI run
/// sees at most one more than the burst.
const RATE_LIMIT: usize = 20;
const RATE_WINDOW_MS: u64 = 600_000;
const RATE_OPERATION: &str = "RateProbe";
const PASSWORD: &str = "correct horse battery";

fn env_or_skip() -> Option<(String, String)> {
    match (std::env::var("DATABASE_URL"), std::env::var("REDIS_URL")) {
        (Ok(db), Ok(redis)) => Some((db, redis)),
        _ => {
            eprintln!(
                "skipping the scale-out test: it needs DATABASE_URL and REDIS_URL (CI sets both)"
            );
            None
        }
    }
}

/// Fresh PostgreSQL databases for one run: `scale_<uuid>` for identity, authz and audit (one
/// schema each), `scale_<uuid>_blog` for blog, so part (d) can take blog's database away
/// alone. All are dropped (connections and all) when this is dropped.
struct ScaleDb {
    admin: kit::db::Db,
    admin_url: String,
    name: String,
    /// The admin URL around the database name: `postgres://…/` and `?…`.
    server: String,
    query: String,
}

impl ScaleDb {
    async fn create(admin_url: &str) -> Self {
        let admin = kit::db::Db::connect(admin_url, kit::db::DbOptions::new("public"))
            .await
            .expect("connect to DATABASE_URL");
        let name = format!("scale_{}", uuid::Uuid::new_v4().simple());
        // Same server and credentials, other databases (keeping any query string).
        let (base, query) = admin_url.split_once('?').unwrap_or((admin_url, ""));
        let (server, _) = base
            .rsplit_once('/')
            .expect("DATABASE_URL names a database");
        let db = Self {
            admin,
            admin_url: admin_url.to_owned(),
            name,
            server: format!("{server}/"),
            query: if query.is_empty() {
                String::new()
            } else {
                format!("?{query}")
            },
        };
        for database in db.databases() {
            db.sql(format!("CREATE DATABASE {database}")).await;
        }
        db
    }

    fn databases(&self) -> [String; 2] {
        [self.name.clone(), self.blog()]
    }

    fn blog(&self) -> String {
        format!("{}_blog", self.name)
    }

    fn url(&self, database: &str) -> String {
        format!("{}{database}{}", self.server, self.query)
    }

    async fn sql(&self, sql: String) {
        kit::db_run!(self.admin, |conn| async move {
            use diesel_async::RunQueryDsl as _;
            diesel::sql_query(sql).execute(conn).await?;
            Ok(())
        })
        .expect("SQL on DATABASE_URL");
    }

    /// Refuses (or allows again) new connections to blog's database, ending the open ones.
    async fn blog_available(&self, available: bool) {
        let blog = self.blog();
        self.sql(format!(
            "ALTER DATABASE {blog} WITH ALLOW_CONNECTIONS {available}"
        ))
        .await;
        if !available {
            self.sql(format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{blog}'"
            ))
            .await;
        }
    }
}

impl Drop for ScaleDb {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot drive `self.admin`'s connections
        // while it waits here: a thread of its own, with its own runtime and connection.
        let admin_url = self.admin_url.clone();
        let statements: Vec<String> = self
            .databases()
            .iter()
            .map(|d| format!("DROP DATABASE IF EXISTS {d} WITH (FORCE)"))
            .collect();
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let Ok(admin) =
                    kit::db::Db::connect(&admin_url, kit::db::DbOptions::new("public")).await
                else {
                    return;
                };
                for sql in statements {
                    let _ = kit::db_run!(admin, |conn| async move {
                        use diesel_async::RunQueryDsl as _;
                        diesel::sql_query(sql).execute(conn).await?;
                        Ok(())
                    });
                }
            });
        })
        .join();
    }
}

/// Deletes this run's Redis keys (the event streams, rate buckets) when dropped.
struct RedisKeys {
    url: String,
    prefix: String,
}

impl Drop for RedisKeys {
    fn drop(&mut self) {
        let Ok(client) = redis::Client::open(self.url.as_str()) else {
            return;
        };
        let pattern = format!("{}*", self.prefix);
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
                    return;
                };
                let keys: Vec<String> = redis::cmd("KEYS")
                    .arg(&pattern)
                    .query_async(&mut conn)
                    .await
                    .unwrap_or_default();
                if !keys.is_empty() {
                    let _: Result<(), _> =
                        redis::cmd("DEL").arg(&keys).query_async(&mut conn).await;
                }
            });
        })
        .join();
    }
}

/// One `platform` process of the topology; its output goes to `<dir>/<name>.log`.
struct Process {
    name: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
}

impl Process {
    fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_platform"));
        command
            .args(&self.args)
            .current_dir(repo())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log);
        // Only this topology's settings: nothing inherited from the test's environment.
        command
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        self.child = Some(command.spawn().expect("start platform"));
    }

    /// SIGKILL: no graceful shutdown, as when a node dies.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.as_mut()?.try_wait().ok().flatten()
    }
}

/// Every process of one run; kills them all when dropped (also on a failed assertion, when it
/// prints the end of each log first).
struct Topology {
    processes: BTreeMap<String, Process>,
    ports: BTreeMap<String, u16>,
    dir: tempfile::TempDir,
}

impl Drop for Topology {
    fn drop(&mut self) {
        for process in self.processes.values_mut() {
            process.kill();
        }
        if std::thread::panicking() {
            for process in self.processes.values() {
                let text = std::fs::read_to_string(&process.log).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(30).collect();
                eprintln!("--- {} (last lines of its log)", process.name);
                for line in tail.into_iter().rev() {
                    eprintln!("{line}");
                }
            }
        }
    }
}

impl Topology {
    fn base(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}", self.ports[name])
    }

    fn process(&mut self, name: &str) -> &mut Process {
        self.processes
            .get_mut(name)
            .expect("a process of the topology")
    }

    /// Polls `GET <name>/ready` until it answers 200.
    async fn wait_ready(&mut self, http: &reqwest::Client, name: &str) {
        let url = format!("{}/ready", self.base(name));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if ready_status(http, &url).await == Some(200) {
                return;
            }
            if let Some(status) = self.process(name).exited() {
                panic!("{name} exited: {status}");
            }
            assert!(Instant::now() < deadline, "{name} never became ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn ready_status(http: &reqwest::Client, url: &str) -> Option<u16> {
    let response = http
        .get(url)
        .timeout(Duration::from_secs(3))
        .send()
        .await
        .ok()?;
    Some(response.status().as_u16())
}

/// Polls `url` until it answers `status` (`None`: no answer at all).
async fn wait_for_status(http: &reqwest::Client, url: &str, status: Option<u16>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let seen = ready_status(http, url).await;
        if seen == status {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{url}: {seen:?}, expected {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The environment every process shares, as a container would get it.
fn common_env(
    dir: &Path,
    db: &ScaleDb,
    redis_url: &str,
    prefix: &str,
    ports: &BTreeMap<String, u16>,
) -> Vec<(String, String)> {
    let secret = |file: &str, value: &str| {
        let path = dir.join(file);
        std::fs::write(&path, format!("{value}\n")).expect("write secret");
        arg(&path).to_owned()
    };
    let database_url = secret("database_url", &db.url(&db.name));
    let blog_database_url = secret("blog_database_url", &db.url(&db.blog()));
    let redis_url = secret("redis_url", redis_url);
    let key_secret = secret("key_encryption_secret", &uuid::Uuid::new_v4().to_string());
    // Production refuses to start identity without a user or a bootstrap admin.
    let admin_password = secret("admin_password", &uuid::Uuid::new_v4().to_string());
    let jwks = format!(
        "http://127.0.0.1:{}/.well-known/jwks.json",
        ports["identity"]
    );
    let mut env: Vec<(String, String)> = vec![
        ("PLATFORM_ENV".into(), "production".into()),
        // Migrations are a release step (`platform migrate`), as in compose and k8s.
        (
            "PLATFORM__DATABASE__MIGRATE_ON_START".into(),
            "false".into(),
        ),
        ("PLATFORM__DATABASE__POOL_SIZE".into(), "4".into()),
        ("PLATFORM__LOG__LEVEL".into(), "info".into()),
        ("PLATFORM__AUTH__JWKS_URL".into(), jwks.clone()),
        ("PLATFORM__EVENTS__BUS".into(), "redis".into()),
        (
            "PLATFORM__EVENTS__REDIS__URL_FILE".into(),
            redis_url.clone(),
        ),
        (
            "PLATFORM__EVENTS__REDIS__STREAM".into(),
            format!("{prefix}events"),
        ),
        (
            "PLATFORM__IDENTITY__KEY_ENCRYPTION_SECRET_FILE".into(),
            key_secret,
        ),
        (
            "PLATFORM__IDENTITY__BOOTSTRAP_ADMIN__EMAIL".into(),
            "admin@example.com".into(),
        ),
        (
            "PLATFORM__IDENTITY__BOOTSTRAP_ADMIN__PASSWORD_FILE".into(),
            admin_password,
        ),
        // The gateway's token provider is a list element: set by index, no override file.
        (
            "PLATFORM__GATEWAY__AUTH__JWT__PROVIDERS__0__JWKS_URL".into(),
            jwks,
        ),
        (
            "PLATFORM__GATEWAY__RATE_LIMIT__REDIS_URL_FILE".into(),
            redis_url.clone(),
        ),
        (
            "PLATFORM__GATEWAY__RATE_LIMIT__REDIS_PREFIX".into(),
            format!("{prefix}rate:"),
        ),
        (
            "PLATFORM__GATEWAY__RATE_LIMIT__RULES__0__KEY".into(),
            "operation".into(),
        ),
        (
            "PLATFORM__GATEWAY__RATE_LIMIT__RULES__0__LIMIT".into(),
            RATE_LIMIT.to_string(),
        ),
        (
            "PLATFORM__GATEWAY__RATE_LIMIT__RULES__0__WINDOW_MS".into(),
            RATE_WINDOW_MS.to_string(),
        ),
        // Production's breaker, with a shorter cooldown so part (d) waits less.
        (
            "PLATFORM__GATEWAY__RESILIENCE__CIRCUIT_BREAKER__COOLDOWN_MS".into(),
            "1000".into(),
        ),
    ];
    for name in SUBGRAPHS {
        let upper = name.to_uppercase();
        let port = ports[name];
        env.push((
            format!("PLATFORM__SUBGRAPHS__{upper}__LISTEN"),
            format!("127.0.0.1:{port}"),
        ));
        env.push((
            format!("PLATFORM__SUBGRAPHS__{upper}__DATABASE_URL_FILE"),
            if name == "blog" {
                &blog_database_url
            } else {
                &database_url
            }
            .clone(),
        ));
        env.push((
            format!("PLATFORM__GATEWAY__SUBGRAPHS__{upper}__URL"),
            format!("http://127.0.0.1:{port}/graphql"),
        ));
    }
    env
}

/// Runs migrations, then the four subgraphs and two gateways, each ready.
async fn start(http: &reqwest::Client, db: &ScaleDb, redis_url: &str, prefix: &str) -> Topology {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut ports = BTreeMap::new();
    for name in SUBGRAPHS.into_iter().chain(["gateway_a", "gateway_b"]) {
        ports.insert(name.to_owned(), free_port());
    }
    let env = common_env(dir.path(), db, redis_url, prefix, &ports);

    let migrate = Command::new(env!("CARGO_BIN_EXE_platform"))
        .arg("migrate")
        .current_dir(repo())
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run platform migrate");
    assert!(
        migrate.status.success(),
        "platform migrate: {}",
        crate::stderr(&migrate)
    );

    let mut topology = Topology {
        processes: BTreeMap::new(),
        ports,
        dir,
    };
    let add =
        |topology: &mut Topology, name: &str, args: Vec<String>, extra: Vec<(String, String)>| {
            let mut process = Process {
                name: name.to_owned(),
                args,
                env: env.iter().cloned().chain(extra).collect(),
                log: topology.dir.path().join(format!("{name}.log")),
                child: None,
            };
            process.start();
            topology.processes.insert(name.to_owned(), process);
        };
    for name in SUBGRAPHS {
        add(
            &mut topology,
            name,
            vec!["subgraph".into(), name.into()],
            vec![("PLATFORM__TELEMETRY__SERVICE_NAME".into(), name.into())],
        );
    }
    for name in SUBGRAPHS {
        topology.wait_ready(http, name).await;
    }
    // Gateways start after identity answers, so their first JWKS fetch succeeds.
    for name in ["gateway_a", "gateway_b"] {
        let listen = format!("127.0.0.1:{}", topology.ports[name]);
        add(
            &mut topology,
            name,
            vec!["gateway".into()],
            vec![
                ("PLATFORM__GATEWAY__LISTEN".into(), listen),
                ("PLATFORM__TELEMETRY__SERVICE_NAME".into(), name.into()),
            ],
        );
    }
    for name in ["gateway_a", "gateway_b"] {
        topology.wait_ready(http, name).await;
    }
    topology
}

/// One GraphQL request: (HTTP status, body); `None` when the connection fails.
async fn graphql(
    http: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    operation_name: Option<&str>,
    query: &str,
    variables: Value,
) -> Option<(u16, Value)> {
    let mut body = json!({"query": query, "variables": variables});
    if let Some(name) = operation_name {
        body["operationName"] = json!(name);
    }
    let mut request = http
        .post(format!("{base}/graphql"))
        .timeout(Duration::from_secs(10))
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.ok()?;
    let status = response.status().as_u16();
    Some((status, response.json().await.ok()?))
}

/// Data of a request that must succeed without errors.
async fn ok(
    http: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Value {
    let (status, body) = graphql(http, base, token, None, query, variables)
        .await
        .unwrap_or_else(|| panic!("{base} did not answer {query}"));
    assert!(
        status == 200 && body["errors"].is_null(),
        "{base}: {query}: {status} {body}"
    );
    body["data"].clone()
}

const CREATE_POST: &str = "mutation($title: String!) { createPost(input: {title: $title, content: \"body\"}) { id title status author { username } } }";
const MY_POSTS: &str = "{ me { username posts(first: 100) { nodes { id title status } } } }";

#[tokio::test]
async fn two_gateways_on_postgres_and_redis_agree_share_budgets_and_survive_failures() {
    let Some((db_url, redis_url)) = env_or_skip() else {
        return;
    };
    let started = Instant::now();
    let db = ScaleDb::create(&db_url).await;
    let prefix = format!("scale:{}:", uuid::Uuid::new_v4().simple());
    let _redis_keys = RedisKeys {
        url: redis_url.clone(),
        prefix: prefix.clone(),
    };
    let http = reqwest::Client::new();
    let mut topology = start(&http, &db, &redis_url, &prefix).await;
    let a = topology.base("gateway_a");
    let b = topology.base("gateway_b");
    eprintln!("scale-out: topology ready in {:?}", started.elapsed());

    // (a) A client alternating between the gateways gets one consistent view.
    ok(
        &http,
        &a,
        None,
        "mutation($input: RegisterInput!) { register(input: $input) { id } }",
        json!({"input": {"email": "ada@example.com", "username": "ada", "password": PASSWORD}}),
    )
    .await;
    let login =
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }";
    let token = ok(
        &http,
        &b,
        None,
        login,
        json!({"e": "ada@example.com", "p": PASSWORD}),
    )
    .await["login"]["accessToken"]
        .as_str()
        .expect("an access token")
        .to_owned();
    let me_a = ok(
        &http,
        &a,
        Some(&token),
        "{ me { id username email } }",
        json!({}),
    )
    .await;
    let me_b = ok(
        &http,
        &b,
        Some(&token),
        "{ me { id username email } }",
        json!({}),
    )
    .await;
    assert_eq!(me_a, me_b);
    assert_eq!(me_a["me"]["username"], "ada");
    let created = ok(
        &http,
        &a,
        Some(&token),
        CREATE_POST,
        json!({"title": "Written via A"}),
    )
    .await;
    let post_id = created["createPost"]["id"]
        .as_str()
        .expect("post id")
        .to_owned();
    let by_id = "query($id: ID!) { post(id: $id) { id title status author { username } } }";
    let read_b = ok(&http, &b, Some(&token), by_id, json!({"id": post_id})).await;
    assert_eq!(
        read_b["post"], created["createPost"],
        "read via B what A wrote"
    );
    let list_a = ok(&http, &a, Some(&token), MY_POSTS, json!({})).await;
    let list_b = ok(&http, &b, Some(&token), MY_POSTS, json!({})).await;
    assert_eq!(list_a, list_b);
    eprintln!("scale-out: (a) consistent answers, {:?}", started.elapsed());

    // (b) One rate budget across both gateways (GCRA in Redis): RATE_LIMIT requests of the
    // operation pass in total, not RATE_LIMIT per gateway.
    let mut accepted = [0usize; 2];
    let mut refused = [0usize; 2];
    for i in 0..3 * RATE_LIMIT {
        let (side, base) = if i % 2 == 0 { (0, &a) } else { (1, &b) };
        let (status, body) = graphql(
            &http,
            base,
            None,
            Some(RATE_OPERATION),
            &format!("query {RATE_OPERATION} {{ __typename }}"),
            json!({}),
        )
        .await
        .expect("the gateway answers");
        match status {
            200 => accepted[side] += 1,
            429 => {
                assert_eq!(
                    body["errors"][0]["extensions"]["code"], "RATE_LIMITED",
                    "{body}"
                );
                refused[side] += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    let total = accepted[0] + accepted[1];
    // GCRA lets a full burst through, then one more per window/limit (30 s) elapsed.
    assert!(
        (RATE_LIMIT..=RATE_LIMIT + 1).contains(&total),
        "accepted {accepted:?}, refused {refused:?}"
    );
    assert!(
        accepted.iter().all(|&n| n > 0 && n < RATE_LIMIT) && refused.iter().all(|&n| n > 0),
        "both gateways spent the one budget: accepted {accepted:?}, refused {refused:?}"
    );
    eprintln!(
        "scale-out: (b) one budget, accepted {accepted:?} refused {refused:?}, {:?}",
        started.elapsed()
    );

    // (c) SIGKILL one gateway in the middle of a stream of mutations sent to both: every
    // mutation that was answered with success is stored; requests to the dead one fail.
    let acknowledged = Arc::new(std::sync::Mutex::new(BTreeSet::new()));
    let acknowledged_by_b = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let failed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut writers = Vec::new();
    for writer in 0..4 {
        let (http, token, acknowledged, by_b, failed) = (
            http.clone(),
            token.clone(),
            acknowledged.clone(),
            acknowledged_by_b.clone(),
            failed.clone(),
        );
        let to_b = writer % 2 == 1;
        let base = if to_b { b.clone() } else { a.clone() };
        writers.push(tokio::spawn(async move {
            for n in 0..15 {
                let title = format!("stream {writer}-{n}");
                let answer = graphql(
                    &http,
                    &base,
                    Some(&token),
                    None,
                    CREATE_POST,
                    json!({"title": title}),
                )
                .await;
                match answer {
                    Some((200, body)) if body["errors"].is_null() => {
                        let id = body["data"]["createPost"]["id"]
                            .as_str()
                            .expect("id")
                            .to_owned();
                        acknowledged.lock().expect("lock").insert(id);
                        if to_b {
                            by_b.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    // Kill B once it has acknowledged a few, while its writers are still sending.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged_by_b.load(Ordering::Relaxed) < 4 {
        assert!(
            Instant::now() < deadline,
            "the mutation stream did not start"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    topology.process("gateway_b").kill();
    for writer in writers {
        writer.await.expect("writer task");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    let failed = failed.load(Ordering::Relaxed);
    assert!(
        failed > 0,
        "requests to the killed gateway fail at the client"
    );
    assert!(
        acknowledged.len() >= 30 + 4,
        "the surviving gateway kept accepting: {} acknowledged",
        acknowledged.len()
    );
    let stored = ok(&http, &a, Some(&token), MY_POSTS, json!({})).await;
    let stored: BTreeSet<String> = stored["me"]["posts"]["nodes"]
        .as_array()
        .expect("posts")
        .iter()
        .filter_map(|p| p["id"].as_str().map(str::to_owned))
        .collect();
    let lost: Vec<&String> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    eprintln!(
        "scale-out: (c) {} acknowledged, all stored; {failed} failed at the client, {:?}",
        acknowledged.len(),
        started.elapsed()
    );

    // (d) blog killed and restarted under load. The gateway stays ready (its /ready is about
    // itself: pulling every gateway because one subgraph is down would take the whole graph
    // offline); blog's own /ready goes away and comes back; queries needing blog fail
    // meanwhile while identity-only ones still answer, and succeed again after the restart.
    let stop_load = Arc::new(AtomicBool::new(false));
    let outcomes = Arc::new(std::sync::Mutex::new(Vec::<bool>::new()));
    let load = {
        let (http, token, a, stop_load, outcomes, post_id) = (
            http.clone(),
            token.clone(),
            a.clone(),
            stop_load.clone(),
            outcomes.clone(),
            post_id.clone(),
        );
        tokio::spawn(async move {
            while !stop_load.load(Ordering::Relaxed) {
                let answer =
                    graphql(&http, &a, Some(&token), None, by_id, json!({"id": post_id})).await;
                let fine = matches!(&answer, Some((200, body)) if body["errors"].is_null());
                outcomes.lock().expect("lock").push(fine);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    // Blog's database goes away: blog's /ready says so (503) while the gateway's stays 200.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let blog_ready = format!("{}/ready", topology.base("blog"));
    let gateway_ready = format!("{a}/ready");
    db.blog_available(false).await;
    wait_for_status(&http, &blog_ready, Some(503)).await;
    assert_eq!(ready_status(&http, &gateway_ready).await, Some(200));
    let (_, no_db) = graphql(&http, &a, Some(&token), None, by_id, json!({"id": post_id}))
        .await
        .expect("the gateway answers");
    assert!(no_db["errors"].is_array(), "{no_db}");
    db.blog_available(true).await;
    wait_for_status(&http, &blog_ready, Some(200)).await;
    eprintln!(
        "scale-out: (d) blog's /ready followed its database, {:?}",
        started.elapsed()
    );

    // Blog's process dies.
    topology.process("blog").kill();
    assert_eq!(ready_status(&http, &blog_ready).await, None, "blog is down");
    assert_eq!(
        ready_status(&http, &gateway_ready).await,
        Some(200),
        "the gateway stays ready while a subgraph is down"
    );
    let (_, down) = graphql(&http, &a, Some(&token), None, by_id, json!({"id": post_id}))
        .await
        .expect("the gateway answers");
    assert_eq!(
        down["errors"][0]["extensions"]["code"], "SUBGRAPH_REQUEST_FAILED",
        "{down}"
    );
    let identity_only = ok(&http, &a, Some(&token), "{ me { username } }", json!({})).await;
    assert_eq!(identity_only["me"]["username"], "ada");

    topology.process("blog").start();
    topology.wait_ready(&http, "blog").await;
    // The breaker lets a probe through after its cooldown; then blog answers again.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let answer = graphql(&http, &a, Some(&token), None, by_id, json!({"id": post_id})).await;
        if let Some((200, body)) = &answer
            && body["errors"].is_null()
        {
            assert_eq!(body["data"]["post"], created["createPost"]);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "blog never answered again: {answer:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The load sees blog again too (a request racing the breaker's probe may still fail).
    let deadline = Instant::now() + Duration::from_secs(10);
    while outcomes.lock().expect("lock").last() != Some(&true) {
        assert!(Instant::now() < deadline, "the load never recovered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop_load.store(true, Ordering::Relaxed);
    load.await.expect("load task");
    let outcomes = outcomes.lock().expect("lock").clone();
    assert!(outcomes.iter().any(|fine| !fine), "the load saw blog down");
    assert_eq!(ready_status(&http, &gateway_ready).await, Some(200));
    eprintln!(
        "scale-out: (d) blog restarted, {} requests under load, {:?}",
        outcomes.len(),
        started.elapsed()
    );

    drop(topology);
    drop(db);
}
