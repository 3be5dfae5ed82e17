//! `paradero serve` under faults, as a process: slow and silent clients, hostile feeds on
//! reload under a memory limit, a full data volume, SIGTERM through all of it.

use super::http;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A server whose log is drained by a thread (so a chatty log never blocks it) and kept.
struct Server {
    child: Child,
    addr: String,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `paradero serve` from the repository root; `wrap` runs it through `sh -c` (to
    /// set resource limits first).
    fn start(env: &[(&str, &str)], wrap: Option<&str>) -> Server {
        let bin = env!("CARGO_BIN_EXE_paradero");
        let mut cmd = match wrap {
            Some(prefix) => {
                let mut c = Command::new("sh");
                c.arg("-c")
                    .arg(format!("{prefix}; exec \"$0\" serve --listen 127.0.0.1:0"))
                    .arg(bin);
                c
            }
            None => {
                let mut c = Command::new(bin);
                c.args(["serve", "--listen", "127.0.0.1:0"]);
                c
            }
        };
        let mut child = cmd
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
            .env_remove("PARADERO_CONFIG")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut s = Server {
            child,
            addr: String::new(),
            log,
        };
        let line = s.wait_for("paradero serving", Duration::from_secs(60));
        s.addr = line
            .split("addr=")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .expect("the server logs its address")
            .to_string();
        s
    }

    /// Waits until the log has a line containing `needle`; returns that line.
    fn wait_for(&mut self, needle: &str, within: Duration) -> String {
        let started = Instant::now();
        loop {
            if let Some(l) = self
                .log
                .lock()
                .unwrap()
                .lines()
                .find(|l| l.contains(needle))
            {
                return l.to_string();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the server exited ({status}) before logging `{needle}`:\n{}",
                    self.log.lock().unwrap()
                );
            }
            assert!(
                started.elapsed() < within,
                "no `{needle}` in the log within {within:?}:\n{}",
                self.log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn signal(&self, sig: &str) {
        assert!(
            Command::new("kill")
                .args([sig, &self.child.id().to_string()])
                .status()
                .unwrap()
                .success()
        );
    }

    /// Sends SIGTERM and waits for the exit; returns how long it took.
    fn stop(mut self, within: Duration) -> Duration {
        let started = Instant::now();
        self.signal("-TERM");
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(
                    status.success(),
                    "exit {status:?}:\n{}",
                    self.log.lock().unwrap()
                );
                return started.elapsed();
            }
            assert!(
                started.elapsed() < within,
                "still running {within:?} after SIGTERM:\n{}",
                self.log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether the server has closed `s` (a read returns 0 or fails), waiting up to `within`.
fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).unwrap();
    let mut b = [0u8; 512];
    loop {
        match s.read(&mut b) {
            Ok(0) => return true,
            // A 408 or similar first, then the close.
            Ok(_) => continue,
            Err(e) => {
                return !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                );
            }
        }
    }
}

fn data_env(dir: &Path) -> String {
    format!("sqlite://{}/paradero.db", dir.display())
}

#[test]
fn slow_and_silent_clients_are_cut_off_while_others_are_served() {
    let data = tempfile::tempdir().unwrap();
    let store = data_env(data.path());
    let server = Server::start(
        &[
            ("PARADERO_STORE__URL", &store),
            ("PARADERO_SERVER__HEADER_READ_TIMEOUT_S", "3"),
            ("PARADERO_SERVER__KEEP_ALIVE_IDLE_S", "4"),
            ("PARADERO_SERVER__MAX_CONNECTIONS", "400"),
            // 200 clients, all on loopback: one address here.
            ("PARADERO_SERVER__MAX_CONNECTIONS_PER_CLIENT", "400"),
            ("PARADERO_SERVER__RATE_LIMIT_PER_MINUTE", "0"),
        ],
        None,
    );
    let addr = server.addr.clone();
    // 200 slowloris clients: one header byte every second, never finishing.
    let request =
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    let mut slow: Vec<TcpStream> = (0..200)
        .map(|_| TcpStream::connect(&addr).unwrap())
        .collect();
    // Two silent ones, and one that finished a request and then stayed silent (kept alive).
    let mut silent: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(&addr).unwrap()).collect();
    let mut kept = TcpStream::connect(&addr).unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 12];
    kept.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    let started = Instant::now();
    let mut served = 0;
    let mut i = 0;
    while started.elapsed() < Duration::from_secs(6) {
        for s in &mut slow {
            // Writes fail once the server has closed the connection.
            let _ = s.write_all(&request[i % request.len()..][..1]);
        }
        i += 1;
        // Normal requests go on meanwhile.
        let (status, body) = http(&addr, "GET", "/healthz", &[], "");
        assert_eq!(status, 200, "{body}");
        served += 1;
        std::thread::sleep(Duration::from_millis(1000));
    }
    assert!(served >= 5);
    // By now (6 s, header timeout 3 s, idle 4 s) the server has closed every one of them.
    let mut open_slow = 0;
    for s in &mut slow {
        if !closed_within(s, Duration::from_secs(2)) {
            open_slow += 1;
        }
    }
    assert_eq!(open_slow, 0, "slow clients still connected");
    for s in &mut silent {
        assert!(closed_within(s, Duration::from_secs(2)), "a silent client");
    }
    assert!(
        closed_within(&mut kept, Duration::from_secs(2)),
        "an idle kept-alive client"
    );
    let (status, _) = http(&addr, "GET", "/healthz", &[], "");
    assert_eq!(status, 200);
    server.stop(Duration::from_secs(15));
}

#[test]
fn connections_past_the_cap_wait_and_sigterm_does_not_wait_for_them() {
    let data = tempfile::tempdir().unwrap();
    let store = data_env(data.path());
    let server = Server::start(
        &[
            ("PARADERO_STORE__URL", &store),
            ("PARADERO_SERVER__HEADER_READ_TIMEOUT_S", "30"),
            ("PARADERO_SERVER__KEEP_ALIVE_IDLE_S", "30"),
            ("PARADERO_SERVER__MAX_CONNECTIONS", "20"),
            ("PARADERO_SERVER__SHUTDOWN_GRACE_S", "2"),
        ],
        None,
    );
    let addr = server.addr.clone();
    let holders: Vec<TcpStream> = (0..20)
        .map(|_| TcpStream::connect(&addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    // The 21st is accepted by the kernel but not served while 20 are held.
    let mut extra = TcpStream::connect(&addr).unwrap();
    extra
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    extra
        .set_read_timeout(Some(Duration::from_millis(800)))
        .unwrap();
    let mut b = [0u8; 12];
    assert!(extra.read(&mut b).is_err(), "served past the cap");
    // One holder leaves: the waiting client is served.
    drop(holders.into_iter().next());
    extra
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    extra.read_exact(&mut b).unwrap();
    assert_eq!(&b, b"HTTP/1.1 200");
    // SIGTERM with 19 clients holding silent connections: gone within the grace period.
    let took = server.stop(Duration::from_secs(10));
    assert!(took < Duration::from_secs(6), "{took:?}");
}

/// One address holding idle connections (never sending a byte, so never rate-limited) used
/// to fill the global cap and make every other client wait for the header time-out: 7.8 s a
/// request. Now a client holds at most its own cap; the others are served at once.
#[test]
fn one_address_cannot_take_every_connection() {
    let data = tempfile::tempdir().unwrap();
    let store = data_env(data.path());
    let server = Server::start(
        &[
            ("PARADERO_STORE__URL", &store),
            ("PARADERO_SERVER__HEADER_READ_TIMEOUT_S", "30"),
            ("PARADERO_SERVER__KEEP_ALIVE_IDLE_S", "30"),
            ("PARADERO_SERVER__MAX_CONNECTIONS", "40"),
            ("PARADERO_SERVER__MAX_CONNECTIONS_PER_CLIENT", "10"),
        ],
        None,
    );
    let addr = server.addr.clone();
    // 60 silent connections from 127.0.0.1.
    let mut hogs: Vec<TcpStream> = (0..60)
        .map(|_| TcpStream::connect(&addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let mut open = 0;
    for s in &mut hogs {
        if !closed_within(s, Duration::from_millis(100)) {
            open += 1;
        }
    }
    assert!(open <= 10, "{open} connections held by one address");
    // Another address (127.0.0.2) is served at once.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let answer = rt.block_on(async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind("127.0.0.2:0".parse().unwrap()).unwrap();
        let mut s = sock.connect(addr.parse().unwrap()).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut out = String::new();
        tokio::time::timeout(Duration::from_secs(5), s.read_to_string(&mut out))
            .await
            .expect("another address waited for the hog")
            .unwrap();
        out
    });
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    drop(hogs);
    server.stop(Duration::from_secs(15));
}

/// A JPEG of `w` × `h` pixels, as a phone would send.
fn photo(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 239) as u8])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(
            &mut std::io::Cursor::new(&mut out),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    out
}

/// Uploads queued for the decode turn sat silent past the connection's idle time-out and were
/// cut with no answer at all. Every upload now gets one: 201, or 503 with Retry-After when the
/// queue is long — never a closed connection.
#[test]
fn queued_photo_uploads_are_all_answered() {
    let data = tempfile::tempdir().unwrap();
    let store = data_env(data.path());
    let server = Server::start(
        &[
            ("PARADERO_STORE__URL", &store),
            ("PARADERO_SERVER__KEEP_ALIVE_IDLE_S", "2"),
            ("PARADERO_SERVER__RATE_LIMIT_PER_MINUTE", "0"),
            ("PARADERO_SERVER__LOOKUPS_PER_MINUTE", "100000"),
            ("PARADERO_SERVER__LOOKUP_BURST", "100000"),
        ],
        None,
    );
    let addr = server.addr.clone();
    let jpeg = Arc::new(photo(4000, 3000));
    let uploads = 22;
    let secrets: Vec<String> = (0..uploads)
        .map(|_| {
            let (status, body) = http(
                &addr,
                "POST",
                "/v1/reports",
                &[("Content-Type", "application/json")],
                r#"{"category": "robo", "lat": -16.3989, "lon": -71.5369}"#,
            );
            assert_eq!(status, 201, "{body}");
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            v["reference"].as_str().unwrap().to_string()
        })
        .collect();
    let started = Instant::now();
    let answers: Vec<(u16, String)> = secrets
        .into_iter()
        .map(|secret| {
            let (addr, jpeg) = (addr.clone(), Arc::clone(&jpeg));
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(&addr).unwrap();
                let head = format!(
                    "POST /v1/reports/{secret}/photos HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
                     Content-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
                    jpeg.len()
                );
                s.write_all(head.as_bytes()).unwrap();
                s.write_all(&jpeg).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(150))).unwrap();
                let mut out = String::new();
                let _ = s.read_to_string(&mut out);
                let status = out
                    .split_whitespace()
                    .nth(1)
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(0);
                (status, out)
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    let took = started.elapsed();
    for (status, out) in &answers {
        assert!(
            *status == 201 || (*status == 503 && out.to_ascii_lowercase().contains("retry-after")),
            "an upload got no proper answer after {took:?}: {status} {out:?}"
        );
    }
    let created = answers.iter().filter(|(s, _)| *s == 201).count();
    assert!(created >= 10, "{created} of {uploads} stored");
    server.stop(Duration::from_secs(15));
}

/// A well-formed `.osm.pbf` with a header and nothing else: it decodes to no street at all.
fn empty_extract() -> Vec<u8> {
    // Blob { raw: "" (an empty HeaderBlock), raw_size: 0 }
    let blob = [0x0A, 0x00, 0x10, 0x00];
    // BlobHeader { type: "OSMHeader", datasize: 4 }
    let mut header = vec![0x0A, 9];
    header.extend_from_slice(b"OSMHeader");
    header.extend_from_slice(&[0x18, blob.len() as u8]);
    let mut out = (header.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(&header);
    out.extend_from_slice(&blob);
    out
}

/// Runs `paradero ARGS` with `env`; its exit code and standard error, or `None` if it was
/// still running after `within` (then killed).
fn run_within(args: &[&str], env: &[(&str, &str)], within: Duration) -> Option<(i32, String)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_paradero"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .env_remove("PARADERO_CONFIG")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return Some((status.code().unwrap_or(-1), err));
        }
        if started.elapsed() > within {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A folder feed whose `stops.txt` is `/dev/zero` ran for minutes at 100 % CPU; a named pipe
/// as the extract hung start-up; an extract with no street was taken on reload without a
/// word. Each is now a clear error at once, and a reload onto the empty extract keeps the
/// streets it had.
#[test]
fn devices_pipes_and_empty_extracts_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("feed");
    std::fs::create_dir(&folder).unwrap();
    std::os::unix::fs::symlink("/dev/zero", folder.join("stops.txt")).unwrap();
    let folder_s = folder.display().to_string();
    let (code, err) = run_within(&["feed", "info", &folder_s], &[], Duration::from_secs(20))
        .expect("`feed info` on /dev/zero never ended");
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("stops.txt") && err.contains("not a regular file"),
        "{err}"
    );

    let fifo = dir.path().join("city.osm.pbf");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let feeds = format!(
        r#"[{{ id = "sp", path = "feeds/sao-paulo.zip", osm = "{}" }}]"#,
        fifo.display()
    );
    let store = data_env(dir.path());
    let (code, err) = run_within(
        &["serve", "--listen", "127.0.0.1:0"],
        &[("PARADERO_FEEDS", &feeds), ("PARADERO_STORE__URL", &store)],
        Duration::from_secs(30),
    )
    .expect("start-up hung on a named pipe");
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("not a regular file"), "{err}");

    // Starting on an extract without streets is refused; a reload onto one keeps the streets.
    let extract = dir.path().join("sp.osm.pbf");
    std::fs::write(&extract, empty_extract()).unwrap();
    let feeds = format!(
        r#"[{{ id = "sp", path = "feeds/sao-paulo.zip", osm = "{}" }}]"#,
        extract.display()
    );
    let (code, err) = run_within(
        &["serve", "--listen", "127.0.0.1:0"],
        &[("PARADERO_FEEDS", &feeds), ("PARADERO_STORE__URL", &store)],
        Duration::from_secs(30),
    )
    .expect("start-up on an empty extract hung");
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("holds no walkable street"), "{err}");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../feeds/sao-paulo.osm.pbf");
    std::fs::copy(&shipped, &extract).unwrap();
    let mut server = Server::start(
        &[("PARADERO_FEEDS", &feeds), ("PARADERO_STORE__URL", &store)],
        None,
    );
    let (status, before) = http(&server.addr, "GET", "/v1/map", &[], "");
    assert_eq!(status, 200, "{before}");
    std::fs::write(&extract, empty_extract()).unwrap();
    server.signal("-HUP");
    server.wait_for("reload on SIGHUP failed", Duration::from_secs(60));
    assert!(
        server
            .log
            .lock()
            .unwrap()
            .contains("holds no walkable street")
    );
    let (status, after) = http(&server.addr, "GET", "/v1/map", &[], "");
    assert_eq!(
        (status, &after),
        (200, &before),
        "the streets it had are kept"
    );
    server.stop(Duration::from_secs(15));
}

// ---- hostile feeds ------------------------------------------------------------------------

/// A zip with the given (name, bytes) entries, deflated.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(false);
        for (name, bytes) in entries {
            z.start_file(*name, opts).unwrap();
            z.write_all(bytes).unwrap();
        }
        z.finish().unwrap();
    }
    out.into_inner()
}

const AGENCY: &[u8] =
    b"agency_id,agency_name,agency_url,agency_timezone\na,A,http://a,America/Lima\n";
const STOPS: &[u8] =
    b"stop_id,stop_name,stop_lat,stop_lon\ns1,Uno,-16.40,-71.53\ns2,Dos,-16.41,-71.53\n";
const ROUTES: &[u8] = b"route_id,agency_id,route_short_name,route_type\nr,a,R,3\n";
const TRIPS: &[u8] = b"route_id,service_id,trip_id\nr,c,t\n";
const CALENDAR: &[u8] = b"service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\nc,1,1,1,1,1,1,1,20260101,20271231\n";

/// `mib` MiB of a header and one row repeated.
fn repeated(header: &[u8], row: &[u8], mib: usize) -> Vec<u8> {
    let mut st = header.to_vec();
    st.reserve(mib << 20);
    while st.len() < mib << 20 {
        st.extend_from_slice(row);
    }
    st
}

/// A zip bomb: `stop_times.txt` of `mib` MiB of identical rows, compressed about 1000 times.
fn bomb(mib: usize) -> Vec<u8> {
    bomb_with_shapes(mib, 0)
}

/// A zip bomb with a `shapes.txt` of `shapes_mib` MiB too.
fn bomb_with_shapes(mib: usize, shapes_mib: usize) -> Vec<u8> {
    let st = repeated(
        b"trip_id,arrival_time,departure_time,stop_id,stop_sequence\n",
        b"t,08:00:00,08:00:00,s1,1\n",
        mib,
    );
    let shapes = repeated(
        b"shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\n",
        b"sh,-16.4,-71.5,1\n",
        shapes_mib,
    );
    zip_of(&[
        ("agency.txt", AGENCY),
        ("stops.txt", STOPS),
        ("routes.txt", ROUTES),
        ("trips.txt", TRIPS),
        ("calendar.txt", CALENDAR),
        ("stop_times.txt", &st),
        ("shapes.txt", &shapes),
    ])
}

/// A small zip whose `stop_times.txt` declares `declared` bytes uncompressed (the central
/// directory and local header are patched; the data is small).
fn liar(declared: u32) -> Vec<u8> {
    let st = b"trip_id,arrival_time,departure_time,stop_id,stop_sequence\nt,08:00:00,08:00:00,s1,1\nt,08:05:00,08:05:00,s2,2\n";
    let mut z = zip_of(&[
        ("agency.txt", AGENCY),
        ("stops.txt", STOPS),
        ("routes.txt", ROUTES),
        ("trips.txt", TRIPS),
        ("calendar.txt", CALENDAR),
        ("stop_times.txt", st),
    ]);
    let name = b"stop_times.txt";
    let real = (st.len() as u32).to_le_bytes();
    let mut patched = 0;
    // Local header (PK\x03\x04): size at +22; central entry (PK\x01\x02): size at +24.
    for (sig, off, name_at) in [(b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)] {
        let mut i = 0;
        while let Some(p) = z[i..].windows(4).position(|w| w == sig) {
            let at = i + p;
            if z[at + name_at..].starts_with(name) && z[at + off..at + off + 4] == real {
                z[at + off..at + off + 4].copy_from_slice(&declared.to_le_bytes());
                patched += 1;
            }
            i = at + 4;
        }
    }
    assert_eq!(patched, 2, "both size fields patched");
    z
}

fn feed_info(path: &Path, env: &[(&str, &str)], limit_kib: Option<u64>) -> (i32, String) {
    let bin = env!("CARGO_BIN_EXE_paradero");
    let mut cmd = Command::new("sh");
    let ulimit = limit_kib.map_or(String::new(), |k| format!("ulimit -v {k}; "));
    cmd.arg("-c")
        .arg(format!("{ulimit}exec \"$0\" feed info \"$1\""))
        .arg(bin)
        .arg(path)
        .env_remove("PARADERO_CONFIG")
        .envs(env.iter().copied());
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// 3 GiB of address space, as the attacks were tried.
const LIMIT_KIB: u64 = 3 << 20;

#[test]
fn hostile_feeds_are_clear_errors_under_a_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let bomb_zip = dir.path().join("bomb.zip");
    std::fs::write(&bomb_zip, bomb(200)).unwrap();
    assert!(
        std::fs::metadata(&bomb_zip).unwrap().len() < 1 << 20,
        "a small archive"
    );
    let liar_zip = dir.path().join("liar.zip");
    std::fs::write(&liar_zip, liar(0xFFFF_FF00)).unwrap();
    // A lie under the cap is only a claim: the real, small file loads.
    let modest_liar = dir.path().join("modest.zip");
    std::fs::write(&modest_liar, liar(2_000_000_000)).unwrap();
    for (path, needle) in [
        (&bomb_zip, "gtfs.max_compression_ratio"),
        (&liar_zip, "gtfs.max_file_mib"),
    ] {
        let (code, err) = feed_info(path, &[], Some(LIMIT_KIB));
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("stop_times.txt") && err.contains(needle),
            "{err}"
        );
        assert!(!err.contains("memory allocation"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    let (code, err) = feed_info(&modest_liar, &[], Some(LIMIT_KIB));
    // The archive's check of sizes may refuse the lie; the loader must not have trusted it.
    assert!(
        code == 0 || (code == 1 && !err.contains("memory allocation")),
        "{err}"
    );
    // The per-feed and per-file caps are configurable and named.
    let (code, err) = feed_info(
        &bomb_zip,
        &[
            ("PARADERO_GTFS__MAX_COMPRESSION_RATIO", "100000"),
            ("PARADERO_GTFS__MAX_FILE_MIB", "50"),
        ],
        Some(LIMIT_KIB),
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("gtfs.max_file_mib"), "{err}");
    // Two files under the file cap, together over the feed's.
    let two = dir.path().join("two.zip");
    std::fs::write(&two, bomb_with_shapes(40, 40)).unwrap();
    let (code, err) = feed_info(
        &two,
        &[
            ("PARADERO_GTFS__MAX_COMPRESSION_RATIO", "100000"),
            ("PARADERO_GTFS__MAX_FEED_MIB", "60"),
            ("PARADERO_GTFS__MAX_FILE_MIB", "50"),
        ],
        Some(LIMIT_KIB),
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("gtfs.max_feed_mib"), "{err}");
}

#[test]
fn a_reload_with_a_hostile_feed_keeps_the_timetable_serving() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("arequipa.zip");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../feeds/arequipa.zip");
    std::fs::copy(&shipped, &feed).unwrap();
    let feeds = format!(r#"[{{ id = "arequipa", path = "{}" }}]"#, feed.display());
    let store = data_env(dir.path());
    let mut server = Server::start(
        &[("PARADERO_FEEDS", &feeds), ("PARADERO_STORE__URL", &store)],
        Some(&format!("ulimit -v {LIMIT_KIB}")),
    );
    let replacements: [(&str, Vec<u8>); 3] = [
        ("zip bomb", bomb(200)),
        ("declared 4 GiB", liar(0xFFFF_FF00)),
        ("not a zip", b"PK\x03\x04garbage".to_vec()),
    ];
    for (n, (what, bytes)) in replacements.iter().enumerate() {
        std::fs::write(&feed, bytes).unwrap();
        server.signal("-HUP");
        let started = Instant::now();
        loop {
            let failures = server
                .log
                .lock()
                .unwrap()
                .matches("reload on SIGHUP failed")
                .count();
            if failures > n {
                break;
            }
            assert!(
                server.child.try_wait().unwrap().is_none(),
                "the server died reloading a {what}:\n{}",
                server.log.lock().unwrap()
            );
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{what}: no answer"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let (status, body) = http(&server.addr, "GET", "/healthz", &[], "");
        assert_eq!(status, 200, "{what}: {body}");
        assert!(body.contains("\"stops\":6711"), "{what}: {body}");
        let (status, _) = http(
            &server.addr,
            "GET",
            "/v1/plan?from=-16.3989,-71.5369&to=-16.4250,-71.5200&at=2026-11-23T08:00",
            &[],
            "",
        );
        assert_eq!(status, 200, "{what}: still planning");
    }
    let log = server.log.lock().unwrap().clone();
    assert!(log.contains("gtfs.max_compression_ratio"), "{log}");
    assert!(log.contains("gtfs.max_file_mib"), "{log}");
    // And a good feed again reloads.
    std::fs::copy(&shipped, &feed).unwrap();
    server.signal("-HUP");
    server.wait_for("timetable reloaded", Duration::from_secs(60));
    server.stop(Duration::from_secs(15));
}

// ---- a full data volume ---------------------------------------------------------------------

#[test]
fn a_full_data_volume_is_told_healed_and_does_not_block_sigterm() {
    let Some(fs) = store::testing::Tmpfs::mount("4m") else {
        eprintln!("skipped: this machine does not let the test mount a tmpfs");
        return;
    };
    let data: PathBuf = fs.path().join("data");
    let store = data_env(&data);
    let server = Server::start(
        &[
            ("PARADERO_STORE__URL", &store),
            ("PARADERO_SERVER__RATE_LIMIT_PER_MINUTE", "0"),
        ],
        None,
    );
    let addr = server.addr.clone();
    let json = [("Content-Type", "application/json")];
    let report = format!(
        r#"{{"category": "robo", "lat": -16.3989, "lon": -71.5369, "description": "{}"}}"#,
        "x".repeat(900)
    );
    let survey = r#"{"safety": 2, "satisfaction": 3}"#;
    let (status, _) = http(&addr, "POST", "/v1/reports", &json, &report);
    assert_eq!(status, 201);
    let ballast = store::testing::fill_volume(fs.path());
    let mut acknowledged = Vec::new();
    let mut surveys = 0;
    let mut refused = 0;
    for _ in 0..2000 {
        let (status, body) = http(&addr, "POST", "/v1/reports?lang=en", &json, &report);
        match status {
            201 => acknowledged.push(
                body.split("\"reference\":\"")
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .unwrap()
                    .to_string(),
            ),
            503 => {
                assert!(body.contains("No space left on the data volume"), "{body}");
                refused += 1;
            }
            other => panic!("{other}: {body}"),
        }
        match http(&addr, "POST", "/v1/surveys", &json, survey).0 {
            201 => surveys += 1,
            503 => refused += 1,
            other => panic!("survey {other}"),
        }
        // Plans go on (their trip records wait in the queue and are retried).
        let (status, _) = http(
            &addr,
            "GET",
            "/v1/plan?from=-16.3989,-71.5369&to=-16.4250,-71.5200&at=2026-11-23T08:00",
            &[],
            "",
        );
        assert_eq!(status, 200);
        if refused >= 10 {
            break;
        }
    }
    assert!(refused >= 10, "the volume never filled");
    std::fs::remove_file(ballast).unwrap();
    // Writes work again within seconds, without a restart.
    let started = Instant::now();
    loop {
        let (status, _) = http(&addr, "POST", "/v1/surveys", &json, survey);
        if status == 201 {
            surveys += 1;
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "not healed");
        std::thread::sleep(Duration::from_millis(200));
    }
    let (status, body) = http(&addr, "POST", "/v1/reports", &json, &report);
    assert_eq!(status, 201, "{body}");
    assert!(surveys > 0);
    let took = server.stop(Duration::from_secs(20));
    assert!(took < Duration::from_secs(12), "{took:?}");
    // After a restart every acknowledged report is there.
    let again = Server::start(&[("PARADERO_STORE__URL", &store)], None);
    for r in &acknowledged {
        let (status, body) = http(&again.addr, "GET", &format!("/v1/reports/{r}"), &[], "");
        assert_eq!(status, 200, "{r} lost: {body}");
    }
    again.stop(Duration::from_secs(15));
}

#[test]
fn starting_on_a_full_volume_says_the_disk_is_full() {
    let Some(fs) = store::testing::Tmpfs::mount("1m") else {
        eprintln!("skipped: this machine does not let the test mount a tmpfs");
        return;
    };
    let ballast = store::testing::fill_volume(fs.path());
    let out = Command::new(env!("CARGO_BIN_EXE_paradero"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .env_remove("PARADERO_CONFIG")
        .env("PARADERO_STORE__URL", data_env(&fs.path().join("data")))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("no space left on the data volume"), "{err}");
    assert!(!err.contains("pool timed out"), "{err}");
    drop(ballast);
}
