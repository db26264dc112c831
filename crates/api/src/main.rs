//! `affianca`: the server and its administrative commands.

use affianca_api::config::Settings;
use affianca_api::startup::{Application, openapi_document};
use affianca_api::{db, seed, telemetry};
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
/// AFFIANCA_DATA_DIR, AFFIANCA_JWT_SECRET, AFFIANCA_LOG_FORMAT, AFFIANCA_WEB_DIR, AFFIANCA_DEMO.
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
        /// years, 200,000 activity entries), for load tests.
        #[arg(long, value_parser = ["region"])]
        scale: Option<String>,
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        println!("{}", serde_json::to_string_pretty(&openapi_document())?);
        return Ok(());
    }
    let mut settings = Settings::from_env()?;
    telemetry::init(settings.log_format);
    match cli.command {
        Command::Serve { demo } => {
            settings.demo |= demo;
            let app = Application::build(&settings).await?;
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
        Command::SeedDemo { scale } => {
            let conn = db::connect(settings.database_url.expose(), 2).await?;
            db::migrate(&conn).await?;
            seed::seed_reference(&conn).await?;
            seed::seed_demo(&conn).await?;
            println!("reference data and demo accounts are in place");
            if scale.is_some() {
                let started = std::time::Instant::now();
                let r =
                    affianca_api::scale::seed_region(&conn, affianca_api::scale::REGION).await?;
                if r.requests == 0 {
                    println!("the region-scale data is already there");
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
            seed::seed_reference(&conn).await?;
            let full_name = name.unwrap_or_else(|| email.to_string());
            let user = seed::create_user(
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
            seed::seed_reference(&conn).await?;
            let report = seed::import_authorities(&conn, &text).await?;
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
        Command::Openapi => unreachable!("handled above"),
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
        seed::DEMO_PASSWORD
    );
    for (email, _, role, scope) in seed::DEMO_USERS {
        println!("    {email:<42} {:<20} {scope}", role.code());
    }
    println!();
}
