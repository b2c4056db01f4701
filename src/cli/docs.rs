//! Shell completions and man pages, generated from the same clap
//! definitions as the parser, so they cannot drift from it. The pages are
//! also committed under `assets/man/` (a test checks they are current) and
//! shipped in the Python wheel.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::CommandFactory;

use super::Cli;

/// Writes the completion script for `shell` to `out`.
pub fn completions(shell: clap_complete::Shell, out: &mut impl Write) {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "logweave", out);
}

/// Sections of `logweave(1)` that clap knows nothing of, in roff.
const MAIN_PAGE_EXTRA: &str = r#".SH KEYS
In the viewer, keys follow less and vim: j/k or arrows scroll, Space/b page,
g/G go to the start/end, / and ? search down and up, n/N repeat, & filters,
F follows, : jumps to a time, a percentage or a line, ] and [ go to errors,
+ and \- to records a baseline never had (logweave compare), q quits. &logger=task.stdout
(and the other field filters of \fB\-\-where\fR) filters on fields, Tab completing
names and values; P shows the focused record's fields, its exception's frames and
where it is, y copying a value and Y the raw record; = lists the sources and
counts each logger and level, Space hiding or showing one. Press H (or F1,
or Enter on an empty / or ? prompt) for the full list, any key to close it;
the defaults are in assets/keymap.txt and can be changed in the config file.
.PP
Airflow 3 JSON records are shown as the Airflow UI shows them, without the
task instance's ids (dag_id, task_id, run_id, ti_id, try_number, map_index):
a shows all fields, r the raw JSON. A traceback reads as Python prints it,
chained exceptions first raised first with Python's linking sentences, notes
and exception-group members kept. Airflow's ::group:: sections, the REST
API's "Log message source details" too, fold to one line marked with \[u25B8] and
their line count; za opens or folds the one at the focus, zR and zM all.
.SH ENVIRONMENT
.TP
\fBLOGWEAVE_CONFIG\fR
The config file, as \fB\-\-config\fR.
.TP
\fBLOGWEAVE_TZ\fR, \fBLOGWEAVE_THREADS\fR, \fBLOGWEAVE_PROFILE\fR
Defaults for \fB\-\-tz\fR, \fB\-\-threads\fR and \fBlogweave airflow \-\-profile\fR.
.TP
\fBNO_COLOR\fR
When set and not empty, the viewer uses no colours.
.TP
\fBAIRFLOW__LOGGING__BASE_LOG_FOLDER\fR, \fBAIRFLOW__API__SECRET_KEY\fR, \fBAIRFLOW__WEBSERVER__SECRET_KEY\fR, \fBAIRFLOW_HOME\fR
Read by \fBlogweave airflow\fR as Airflow reads them.
.TP
\fBAWS_*\fR, \fBGOOGLE_*\fR, \fBAZURE_*\fR, \fBSTORAGE_EMULATOR_HOST\fR
Credentials and endpoints for s3://, gs://, az:// and cloudwatch:// sources
(\fBAWS_ENDPOINT_URL_LOGS\fR for CloudWatch Logs alone).
.TP
\fBELASTICSEARCH_API_KEY\fR, \fBELASTICSEARCH_USERNAME\fR, \fBELASTICSEARCH_PASSWORD\fR, \fBOPENSEARCH_USERNAME\fR, \fBOPENSEARCH_PASSWORD\fR
Credentials for \fBlogweave airflow \-\-elasticsearch\fR and \fB\-\-opensearch\fR (never on the command line).
.SH FILES
.TP
\fI$XDG_CONFIG_HOME/logweave/config.toml\fR (else \fI~/.config/logweave/config.toml\fR)
The config file. Precedence for every setting: flag, then environment, then
this file, then the built\-in default. Example:
.PP
.nf
tz = "Europe/Berlin"
threads = 2
profile = "prod"

[theme]
error = "light\-red bold"

[keys]
quit = "q C\-c"

[[format]]
glob = "pod*.log"
pattern = "%d/%b/%Y:%H:%M:%S %z"
tz = "America/New_York"

[filters]
quiet = 'not event~"DAG bundles loaded" and not logger~dag_processing'

[airflow.prod]
base_log_folder = "/opt/airflow/logs"
remote = "s3://airflow\-logs/prod"
log_server = "worker\-1"
secret_key_env = "AIRFLOW_PROD_SECRET_KEY"
filter = "quiet"
.fi
.PP
A \fB[filters]\fR entry names a field filter: \fB\-\-where @quiet\fR (or
\fB&@quiet\fR in the viewer) uses it, and a profile's \fBfilter\fR is on by
default under that profile (said on stderr in print mode; \fB\-\-where ''\fR
turns it off).
.PP
A \fB[[format]]\fR entry gives the sources whose file name (or, with a /,
path) its glob matches a timestamp pattern, a zone or both, as
\fB\-\-ts\-format\fR and \fB\-\-tz\fR GLOB=... do; flags win.
.PP
A profile's secret key comes from \fBsecret_key_env\fR (a variable's name),
\fBsecret_key_command\fR (run with sh \-c) or \fBsecret_key\fR itself, in which
case the file must be readable by its owner only.
.TP
\fI~/.cache/logweave/\fR
The attempts \fBlogweave demo\fR writes.
.SH EXIT STATUS
0 when every source was read; 1 when some source failed and the others were
shown; 2 for usage and config errors, or when no source could be read.
"#;

/// Writes `logweave.1` and `logweave-SUBCOMMAND.1` for each visible
/// subcommand into `dir`; returns the files written.
pub fn write_man_pages(dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let cmd = Cli::command().version(env!("CARGO_PKG_VERSION"));
    let mut written = Vec::new();
    let main = dir.join("logweave.1");
    std::fs::write(&main, main_page(&cmd)?)?;
    written.push(main);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("logweave-{}", sub.get_name());
        let sub = sub
            .clone()
            .display_name(&name)
            .bin_name(format!("logweave {}", sub.get_name()))
            .version(env!("CARGO_PKG_VERSION"));
        let mut page = Vec::new();
        clap_mangen::Man::new(sub).render(&mut page)?;
        let path = dir.join(format!("{name}.1"));
        std::fs::write(&path, page)?;
        written.push(path);
    }
    Ok(written)
}

fn main_page(cmd: &clap::Command) -> io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    man.render_subcommands_section(&mut page)?;
    page.write_all(MAIN_PAGE_EXTRA.as_bytes())?;
    let see_also: Vec<String> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        .map(|s| format!("\\fBlogweave\\-{}\\fR(1)", s.get_name()))
        .collect();
    writeln!(page, ".SH \"SEE ALSO\"\n{}", see_also.join(", "))?;
    man.render_version_section(&mut page)?;
    Ok(page)
}
