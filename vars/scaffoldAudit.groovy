// scaffoldAudit: scaffold's Jenkins shared-library step. It audits the workspace's CI/CD files (the SARIF report is
// archived, and recorded with the Warnings Next Generation plugin when asked) and runs the drift gate (scaffold diff).
// Load the library pinned to a commit, then call the step in a stage whose agent has python3:
//
//   @Library('scaffold@<commit SHA>') _
//   stage('scaffold') { steps { scaffoldAudit(paths: ['.'], pack: '', drift: true) } }
//
// Arguments: paths (a list, or a string separated by whitespace; default ['.']), pack (a pack SOURCE whose org policy
// to enforce, scaffold audit --pack; default none), drift (default true), version (the scaffold-cicd release to
// install; default 0.1.0), python (default 'python3'), recordIssues (default false).
// Exit codes: audit 0 clean, 1 findings, 2 bad input; diff 0 no drift, 1 drift, 2 bad input. The step fails the build
// when either is not 0, and returns [audit: CODE, diff: CODE] otherwise.
// Every argument reaches the shell as an environment variable; none is ever interpolated into a script.

def call(Map args = [:]) {
    List<String> paths = scaffoldAuditPaths(args.paths)
    if (paths.any { path -> path.contains('\n') }) {
        error('scaffoldAudit: a path must not contain a line break')
    }
    String pack = args.pack ?: ''
    boolean drift = !(args.drift in [false, 'false'])
    String version = args.version ?: '0.1.0'
    String python = args.python ?: 'python3'
    if (!(version ==~ /[0-9]+(\.[0-9]+)*/)) {
        error('scaffoldAudit: version must be a scaffold-cicd release such as 0.1.0')
    }
    String home = "${env.WORKSPACE_TMP ?: env.WORKSPACE + '@tmp'}/scaffold-audit"
    int audit = 0
    int diff = 0
    withEnv([
        "SCAFFOLD_HOME=${home}",
        "SCAFFOLD_PYTHON=${python}",
        "SCAFFOLD_VERSION=${version}",
        "SCAFFOLD_PATHS=${paths.join('\n')}",
        "SCAFFOLD_PACK=${pack}",
    ]) {
        sh(label: 'Install scaffold', script: '''
            set -eu
            "$SCAFFOLD_PYTHON" -m venv "$SCAFFOLD_HOME"
            "$SCAFFOLD_HOME/bin/python" -m pip install --no-input --only-binary=:all: "scaffold-cicd==$SCAFFOLD_VERSION"
        ''')
        audit = sh(label: 'scaffold audit', returnStatus: true, script: '''
            set -u
            # One path per line, taken literally: no globbing, no splitting on spaces.
            set -f
            IFS='
'
            set -- $SCAFFOLD_PATHS
            if [ -n "$SCAFFOLD_PACK" ]; then
                set -- --pack "$SCAFFOLD_PACK" -- "$@"
            else
                set -- -- "$@"
            fi
            status=0
            "$SCAFFOLD_HOME/bin/scaffold" audit "$@" || status=$?
            "$SCAFFOLD_HOME/bin/scaffold" audit --format sarif "$@" > scaffold-audit.sarif || true
            exit "$status"
        ''')
        archiveArtifacts(artifacts: 'scaffold-audit.sarif', allowEmptyArchive: true)
        if (args.recordIssues) {
            recordIssues(tools: [sarif(pattern: 'scaffold-audit.sarif', id: 'scaffold-audit', name: 'scaffold audit')])
        }
        if (drift) {
            diff = sh(label: 'scaffold diff', returnStatus: true, script: '"$SCAFFOLD_HOME/bin/scaffold" diff')
        }
    }
    if (audit != 0 || diff != 0) {
        error("scaffoldAudit: scaffold audit exited ${audit} (0 clean, 1 findings, 2 bad input), " +
            "scaffold diff exited ${diff} (0 no drift, 1 drift, 2 bad input)")
    }
    return [audit: audit, diff: diff]
}

// The paths as a list of strings: a list as given, a string split on whitespace, ['.'] when none.
@NonCPS
private List<String> scaffoldAuditPaths(Object given) {
    List<String> paths = []
    if (given instanceof Collection) {
        paths = given*.toString()
    } else if (given != null) {
        paths = given.toString().tokenize()
    }
    return paths.isEmpty() ? ['.'] : paths
}
