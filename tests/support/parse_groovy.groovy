// Parse Groovy files (Jenkinsfiles) without running them, and print what the compiler reports as JSON:
// {"<path as given>": ["<line>:<column>: <message>", ...], ...}, an empty list for a file that parses.
//   groovy tests/support/parse_groovy.groovy FILE...
// Compilation stops after the CONVERSION phase: the source is lexed, parsed and turned into an AST, so every
// syntax error is reported, but no class is resolved. SEMANTIC_ANALYSIS would also resolve classes and fail on
// every Jenkins one (`@Library`, `import org.jenkinsci...`), which this plain Groovy does not have.
import groovy.json.JsonOutput
import org.codehaus.groovy.control.CompilationUnit
import org.codehaus.groovy.control.MultipleCompilationErrorsException
import org.codehaus.groovy.control.Phases
import org.codehaus.groovy.control.messages.ExceptionMessage
import org.codehaus.groovy.control.messages.SimpleMessage
import org.codehaus.groovy.control.messages.SyntaxErrorMessage

static String describe(Object message) {
    if (message instanceof SyntaxErrorMessage) {
        def cause = message.cause
        return "${cause.line}:${cause.startColumn}: ${cause.originalMessage.trim()}"
    }
    if (message instanceof ExceptionMessage) {
        return "0:0: ${message.cause}"
    }
    if (message instanceof SimpleMessage) {
        return "0:0: ${message.message}"
    }
    return "0:0: ${message}"
}

def results = [:]
for (path in args) {
    def problems = []
    def file = new File(path)
    if (!file.isFile()) {
        problems << "0:0: no such file"
    } else {
        def unit = new CompilationUnit()
        unit.addSource(file)
        try {
            unit.compile(Phases.CONVERSION)
        } catch (MultipleCompilationErrorsException e) {
            e.errorCollector.errors.each { problems << describe(it) }
        } catch (Exception e) {
            problems << "0:0: ${e}"
        }
    }
    results[path] = problems
}
println JsonOutput.toJson(results)
