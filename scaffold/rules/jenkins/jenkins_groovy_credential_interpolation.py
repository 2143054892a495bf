"""## What it does
Finds credentials that Groovy expands into the script of a `sh`, `bat`, `powershell`, `pwsh` or `echo` step.

That is a double-quoted (or triple-double-quoted) string containing `$VAR`, `${VAR}` or `${env.VAR}`, where `VAR` is
bound by `withCredentials` (`variable:`, `usernameVariable:`, `passwordVariable:`, ...) around the step, or by
`X = credentials('...')` in an `environment` block of the pipeline or the step's stage (also `X_USR` and `X_PSW`).

## Why is this bad?
Groovy replaces `$VAR` before the step runs, so the secret becomes part of the command itself. The command line can
be seen by every process on the agent (`ps`), it is written to the build's step metadata, and shell syntax in the
secret's value changes the command. Jenkins masks only the exact value in the console log. Jenkins itself warns
"A secret was passed to "sh" using Groovy String interpolation, which is insecure".

## Example
```groovy
withCredentials([string(credentialsId: 'sonar', variable: 'SONAR_TOKEN')]) {
  sh "mvn sonar:sonar -Dsonar.token=$SONAR_TOKEN"
}
```

## Use instead
```groovy
withCredentials([string(credentialsId: 'sonar', variable: 'SONAR_TOKEN')]) {
  sh 'mvn sonar:sonar -Dsonar.token="$SONAR_TOKEN"'
}
```
In a single-quoted string Groovy expands nothing: the shell reads the secret from the environment at run time.

## References
- Jenkins, "Using a Jenkinsfile: string interpolation" (the "Interpolation of sensitive environment variables" part)
- Jenkins plugin documentation, "Credentials Binding"
- OWASP Top 10 CI/CD Security Risks, CICD-SEC-6
"""

from __future__ import annotations

from collections.abc import Iterator

from scaffold.rules.document import Document
from scaffold.rules.jenkins.groovy import credential_scopes, interpolated_names, names_bound_at, read
from scaffold.rules.model import Confidence, Hit, Kind, Severity

ID = "jenkins-groovy-credential-interpolation"
SEVERITY = Severity.HIGH
CONFIDENCE = Confidence.HIGH
KINDS = (Kind.JENKINSFILE,)
CONTROLS = ("scoped-secrets",)


def check(document: Document) -> Iterator[Hit]:
    source = read(document.text)
    scopes = credential_scopes(source)
    if not scopes:
        return
    candidates = [
        (step, literal) for step, literal in source.step_scripts() if literal.interpolates and "$" in literal.value
    ]
    expanded = [interpolated_names(literal.value) for _, literal in candidates]
    queries = [
        (literal.start, {name for _, name in names}) for (_, literal), names in zip(candidates, expanded, strict=True)
    ]
    holding = names_bound_at(scopes, queries)
    for (step, literal), names, bound in zip(candidates, expanded, holding, strict=True):
        reported = set()
        for index, name in names:
            if name in bound and name not in reported:
                reported.add(name)
                line, column = source.position(literal.body + index)
                where = source.where(literal.start)
                message = (
                    f"{where}{step} expands credential {name} with Groovy interpolation; "
                    "use a single-quoted string so the shell reads it"
                )
                yield Hit(line, column, message, f"{where.removesuffix(': ') or 'top level'} {step} {name}")
