//! `affianca`: the server and its administrative commands.

use affianca_api::config::Settings;
use affianca_api::startup::{Application, openapi_document};
use affianca_api::{db, telemetry};
use affianca_domain::{Email, Role, RoleScope, Scope};
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use std::io::Read;
use std::path::PathBuf;

/// mimalloc instead of glibc's malloc: the server allocates many small objects on many threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Affianca: the portal and REST API of Lombardy's PNRR technical-assistance programme.
///
/// Configuration comes from environment variables (see README.md): AFFIANCA_BIND, DATABASE_URL,
/// AFFIANCA_DATA_DIR, AFFIANCA_JWT_SECRET, AFFIANCA_LOG_FORMAT, AFFIANCA_WEB_DIR, AFFIANCA_DEMO,
/// AFFIANCA_FILE_STORE, AFFIANCA_SQLITE_SYNCHRONOUS; deployment in docs/DEPLOY.md.
#[derive(Debug, Parser)]
#[command(name = "affianca", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the HTTP server (migrates and seeds the reference data first).
    Serve {
        /// Load the demo accounts and print them (same as AFFIANCA_DEMO=1).
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Migrate, seed the reference data and create the demo accounts (one per role).
    SeedDemo {
        /// `region`: also a region-scale dataset (120 experts, 20,000 support requests over three
        /// years, 200,000 activity entries, and file registers of about 1,500,000 files for every
        /// comune and province with validated semesters), for load tests.
        #[arg(long, value_parser = ["region"])]
        scale: Option<String>,
        /// With `--scale region`: N times the region's registers, for benchmarks — (N − 1) × 1514
        /// synthetic authorities named as such ("Ente sintetico …", codes 9xxxxx) beside the real
        /// ones, and N times the files.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=50))]
        factor: u16,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Apply a newer ISTAT list of comuni (CSV: istat_code,name,province,cadastral_code,fiscal_code):
    /// update names, add new codes, mark vanished ones inactive. Never deletes; prints what changed.
    ImportAuthorities {
        /// The CSV file.
        file: PathBuf,
    },
    /// Print the OpenAPI document (JSON) to standard output.
    Openapi,
    /// SQLite: write one archive (tar) with a consistent copy of the database (`VACUUM INTO`,
    /// safe while the server runs), the stored files and the JWT secret. PostgreSQL: use
    /// pg_dump (docs/DEPLOY.md).
    Backup {
        /// The archive to write (replaced atomically if it exists).
        file: PathBuf,
    },
    /// SQLite: put back what `affianca backup` wrote, into AFFIANCA_DATA_DIR and the database
    /// file of DATABASE_URL. Stop the server first.
    Restore {
        /// The archive written by `affianca backup`.
        file: PathBuf,
        /// Replace the database, the secret and the files of a data dir that is not empty.
        #[arg(long)]
        force: bool,
    },
    /// File registers (pratiche), without a server or a database.
    Register {
        #[command(subcommand)]
        command: RegisterCommand,
    },
}

#[derive(Debug, Subcommand)]
enum RegisterCommand {
    /// Compute and print the semester indicators of a register (CSV or XLSX, the headers of
    /// DOMAIN.md §5) with the default procedure catalog. Exit code 2 when the register has errors
    /// (each printed with row, column, value and reason).
    Check {
        /// The register file.
        file: PathBuf,
        /// First semester to print, e.g. 2021S1 (default: the semester of the first start).
        #[arg(long)]
        from: Option<String>,
        /// Last semester to print, e.g. 2025S2 (default: the semester of the last date).
        #[arg(long)]
        to: Option<String>,
        /// Print a JSON array (procedure, period and the indicators) instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user with one role grant; the password is read from standard input.
    Add {
        /// E-mail address, used to log in.
        #[arg(long)]
        email: String,
        /// Role: authority_rep, authority_delegate, expert, coordinator, secretariat, observer, admin.
        #[arg(long)]
        role: String,
        /// Scope: authority:015146, province:BG, task_force:building_planning or region
        /// (default region).
        #[arg(long)]
        scope: Option<String>,
        /// Full name (default: the e-mail address).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Openapi => {
            println!("{}", serde_json::to_string_pretty(&openapi_document())?);
            Ok(())
        }
        Command::Register {
            command:
                RegisterCommand::Check {
                    file,
                    from,
                    to,
                    json,
                },
        } => {
            let code = check_register(&file, from.as_deref(), to.as_deref(), json)?;
            std::process::exit(code)
        }
        Command::Restore { file, force } => {
            let settings = Settings::from_env()?;
            let summary = affianca_api::backup::restore(
                settings.database_url.expose(),
                &settings.data_dir,
                &file,
                force,
            )?;
            println!("restored from {}: {summary}", file.display());
            Ok(())
        }
        command => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(run(command)),
    }
}

/// `affianca register check`: 0 when the register is good, 2 when it has errors.
fn check_register(
    file: &std::path::Path,
    from: Option<&str>,
    to: Option<&str>,
    json: bool,
) -> anyhow::Result<i32> {
    use affianca_domain::monitoring::{Engine, indicator_rows, parse_sem, sem_of_period};
    use affianca_domain::register::Limits;
    use std::io::Write;
    let semester = |s: Option<&str>| -> Result<Option<i32>, String> {
        s.map(|s| parse_sem(s).map_err(|e| e.to_string()))
            .transpose()
    };
    let (from, to) = match (semester(from), semester(to)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("{e}");
            return Ok(2);
        }
    };
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        eprintln!("--from deve precedere --to");
        return Ok(2);
    }
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let catalog = affianca_api::register::default_catalog();
    // One pass, nothing kept but the cells: every semester a period can name, trimmed to the
    // register's own semesters (or to --from/--to) at the end.
    let earliest = affianca_domain::Period::parse("1990S1")
        .map(sem_of_period)
        .unwrap_or(3980);
    let latest = affianca_domain::Period::parse("2100S2")
        .map(sem_of_period)
        .unwrap_or(4201);
    let (lo, hi) = (from.unwrap_or(earliest), to.unwrap_or(latest));
    let (files, engine) = match affianca_api::register::read_parallel(&bytes, &catalog, lo, hi) {
        Some(done) => done,
        None => {
            let mut engine = Engine::new(&catalog, lo, hi);
            let mut files = 0usize;
            let limits = Limits {
                max_rows: usize::MAX,
            };
            if let Err(errors) = affianca_api::register::read(&bytes, &catalog, limits, |_, f| {
                files += 1;
                engine.add(&f);
            }) {
                eprint!("{errors}");
                eprintln!(
                    "{} errori: il registro non è stato elaborato.",
                    errors.total
                );
                return Ok(2);
            }
            (files, engine)
        }
    };
    drop(bytes);
    let natural = engine.natural_window();
    let (from, to) = match (from, to, natural) {
        (Some(f), Some(t), _) => (f, t),
        (f, t, Some((nf, nt))) => (f.unwrap_or(nf), t.unwrap_or(nt)),
        (_, _, None) => (0, -1),
    };
    let rows: Vec<_> = indicator_rows(&engine.finish(&catalog), &catalog)
        .into_iter()
        .filter(|r| (from..=to).contains(&sem_of_period(r.period)))
        .collect();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
    } else {
        let avg = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{v:.1}"));
        writeln!(
            out,
            "{:<22} {:<8} {:>8} {:>8} {:>9} {:>10} {:>9} {:>11} {:>11} {:>8} {:>9}",
            "procedimento",
            "semestre",
            "avviate",
            "concluse",
            "con sosp.",
            "con conf.",
            "silenzio",
            "durata med.",
            "netta med.",
            "termine",
            "arretrato"
        )?;
        for r in &rows {
            writeln!(
                out,
                "{:<22} {:<8} {:>8} {:>8} {:>9} {:>10} {:>9} {:>11} {:>11} {:>8} {:>9}",
                r.procedure,
                r.period.to_string(),
                r.started,
                r.concluded_express,
                r.concluded_express_with_suspension,
                r.concluded_express_with_conference,
                r.concluded_silent_assent,
                avg(r.avg_duration_days),
                avg(r.avg_net_duration_days),
                r.max_term_days,
                r.backlog
            )?;
        }
        writeln!(out, "{files} pratiche lette.")?;
    }
    out.flush()?;
    Ok(0)
}

async fn run(command: Command) -> anyhow::Result<()> {
    let mut settings = Settings::from_env()?;
    telemetry::init(settings.log_format);
    match command {
        Command::Serve { demo } => {
            settings.demo |= demo;
            let db = Application::prepare(&settings).await?;
            if settings.demo {
                affianca_demo::seed_demo(&db).await?;
            }
            let app = Application::build_on(&settings, db).await?;
            tracing::info!(address = %format!("http://{}:{}", settings.bind.ip(), app.port()), "Affianca is listening");
            if settings.demo {
                print_demo_accounts(&settings, app.port());
            }
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            let conn = db::connect(settings.database_url.expose(), 2).await?;
            db::migrate(&conn).await?;
            println!("migrations applied");
        }
        Command::SeedDemo { scale, factor } => {
            let conn = db::connect(settings.database_url.expose(), 2).await?;
            db::migrate(&conn).await?;
            affianca_api::reference::seed_reference(&conn).await?;
            affianca_demo::seed_demo(&conn).await?;
            println!("reference data and demo accounts are in place");
            if scale.is_some() {
                let started = std::time::Instant::now();
                let r =
                    affianca_demo::scale::seed_region(&conn, affianca_demo::scale::REGION).await?;
                let started_registers = std::time::Instant::now();
                let factor = usize::from(factor);
                let synthetic =
                    affianca_demo::scale::seed_synthetic_authorities(&conn, factor).await?;
                if synthetic > 0 {
                    println!("{synthetic} synthetic authorities (factor {factor})");
                }
                let g = affianca_demo::scale::seed_registers(
                    &conn,
                    affianca_demo::scale::REGISTER_FILES * factor,
                )
                .await?;
                if g.files > 0 {
                    println!(
                        "registers: {} files of {} authorities, {} semester measurements, {} semesters in {:.1} s",
                        g.files,
                        g.authorities,
                        g.measurements,
                        g.semesters,
                        started_registers.elapsed().as_secs_f64()
                    );
                }
                if r.requests == 0 {
                    println!("the region-scale support requests are already there");
                } else {
                    println!(
                        "region scale: {} experts, {} requests, {} transitions, {} messages, {} activity entries in {:.1} s",
                        r.experts,
                        r.requests,
                        r.transitions,
                        r.messages,
                        r.activities,
                        started.elapsed().as_secs_f64()
                    );
                }
            }
        }
        Command::User {
            command:
                UserCommand::Add {
                    email,
                    role,
                    scope,
                    name,
                    password_stdin: _,
                },
        } => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let role = Role::parse(&role).map_err(|e| anyhow::anyhow!("--role: {e}"))?;
            let scope = Scope::parse(scope.as_deref().unwrap_or("region"))
                .map_err(|e| anyhow::anyhow!("--scope: {e}"))?;
            let grant = RoleScope::new(role, scope).map_err(|e| anyhow::anyhow!("--scope: {e}"))?;
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\n', '\r']).to_owned();
            if let Err(e) = affianca_api::auth::password::check_policy(&password) {
                bail!("password: {e}");
            }
            let conn = db::connect(settings.database_url.expose(), 2).await?;
            db::migrate(&conn).await?;
            affianca_api::reference::seed_reference(&conn).await?;
            let full_name = name.unwrap_or_else(|| email.to_string());
            let user = affianca_api::app::accounts::create_user(
                &conn,
                &email,
                &full_name,
                &password,
                std::slice::from_ref(&grant),
                None,
            )
            .await
            .with_context(|| format!("cannot create {email} (does it exist already?)"))?;
            println!(
                "created user {} ({}) with {} {}",
                user.id, email, grant.role, grant.scope
            );
        }
        Command::ImportAuthorities { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let conn = db::connect(settings.database_url.expose(), 2).await?;
            db::migrate(&conn).await?;
            affianca_api::reference::seed_reference(&conn).await?;
            let report = affianca_api::reference::import_authorities(&conn, &text).await?;
            affianca_api::audit::record(
                &conn,
                &affianca_api::audit::RequestMeta::default(),
                affianca_api::audit::Entry::new(affianca_domain::AuditAction::AuthoritiesImported)
                    .details(serde_json::json!({
                        "file": file.display().to_string(),
                        "added": report.added.len(),
                        "updated": report.updated.len(),
                        "reactivated": report.reactivated.len(),
                        "retired": report.retired.len(),
                    })),
            )
            .await?;
            println!("{report}");
        }
        Command::Backup { file } => {
            let summary = affianca_api::backup::backup(
                settings.database_url.expose(),
                &settings.data_dir,
                &file,
            )
            .await?;
            println!("backup written to {}: {summary}", file.display());
        }
        Command::Openapi | Command::Register { .. } | Command::Restore { .. } => {
            unreachable!("handled in main")
        }
    }
    Ok(())
}

fn print_demo_accounts(settings: &Settings, port: u16) {
    println!();
    println!(
        "  Affianca (demo) — http://{}:{port}/  ·  API docs: http://{}:{port}/api/docs/",
        settings.bind.ip(),
        settings.bind.ip()
    );
    println!(
        "  Demo accounts, all with the password {}:",
        affianca_demo::DEMO_PASSWORD
    );
    for (email, _, role, scope) in affianca_demo::DEMO_USERS {
        println!("    {email:<42} {:<20} {scope}", role.code());
    }
    println!();
}
