package dev.shardvault.gateway.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.gateway.env.EnvTransformer.Result;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class DotenvTest {

    private static String transform(String file, InMemorySecrets secrets) throws DotenvSyntaxException {
        Result result = EnvTransformer.transform(DotenvFile.parse(file), secrets, name -> true, name -> true);
        return assertInstanceOf(Result.Transformed.class, result).text();
    }

    /** What a dotenv parser (python-dotenv / Compose dialect) reads for KEY in a file we emitted. */
    private static String parsedValue(String file, String key) throws DotenvSyntaxException {
        return DotenvFile.parse(file).stream()
                .filter(item -> item instanceof DotenvFile.Assignment a && a.key().equals(key))
                .map(item -> ((DotenvFile.Assignment) item).value()).findFirst().orElseThrow();
    }

    @Test
    void referencesExpandInUnquotedAndDoubleQuotedValuesButNotInSingleQuotes() throws Exception {
        InMemorySecrets secrets = new InMemorySecrets();
        secrets.values.put("DB_PASS", "hunter2");
        String file = "# db\r\nexport URL=postgres://app:secret(DB_PASS)@db:5432/app  # main\r\n"
                      + "QUOTED=\"secret(DB_PASS)\"\nLITERAL='secret(DB_PASS)'\n\nPLAIN=keep me\n";
        String out = transform(file, secrets);
        assertEquals("# db\r\nexport URL=postgres://app:hunter2@db:5432/app  # main\r\n"
                     + "QUOTED=hunter2\nLITERAL='secret(DB_PASS)'\n\nPLAIN=keep me\n", out);
    }

    @Test
    void expandedValuesTakeTheFirstQuotingFormThatFits() {
        assertEquals("abc-1.2/x:y@z%+,=_", Quoting.emit("abc-1.2/x:y@z%+,=_"));
        assertEquals("'has space $HOME #hash \\back \"dq\"'", Quoting.emit("has space $HOME #hash \\back \"dq\""));
        assertEquals("''", Quoting.emit(""));
        assertEquals("\"it's\"", Quoting.emit("it's"));
        assertEquals("\"line1\\nline2\\r\\\\ \\\"q\\\"\"", Quoting.emit("line1\nline2\r\\ \"q\""));
    }

    @Test
    void encCreatesTheSecretAndLeavesAReference() throws Exception {
        InMemorySecrets secrets = new InMemorySecrets();
        String file = "API_KEY=enc(sk-live-123#not-a-comment)\nexport TOKEN=\"enc(a \\\"quoted\\\"\\nvalue)\" # note\n";
        String out = transform(file, secrets);
        assertEquals("API_KEY=secret(API_KEY)\nexport TOKEN=secret(TOKEN) # note\n", out);
        assertEquals("sk-live-123#not-a-comment", secrets.values.get("API_KEY"));
        assertEquals("a \"quoted\"\nvalue", secrets.values.get("TOKEN"));
        assertEquals(1, secrets.batches, "all creations of one request are one batch");
        assertEquals("API_KEY=sk-live-123#not-a-comment".replace("sk-live-123#not-a-comment", "'sk-live-123#not-a-comment'") + "\n"
                     + "export TOKEN=\"a \\\"quoted\\\"\\nvalue\" # note\n", transform(out, secrets));
    }

    @Test
    void everyFailingLineIsReportedAndNothingIsCreated() throws Exception {
        InMemorySecrets secrets = new InMemorySecrets();
        secrets.values.put("EXISTING", "x");
        String file = "A=secret(MISSING)\nEXISTING=enc(new)\nB=\"secret(bad-name)\"\nNEW=enc(y)\nlower=enc(z)\nC=secret(MISSING)\n";
        Result.Failed failed = assertInstanceOf(Result.Failed.class, EnvTransformer.transform(DotenvFile.parse(file), secrets, name -> true, name -> true));
        assertEquals(List.of("1 secret(MISSING) not-found", "2 EXISTING=enc(...) exists", "3 secret(bad-name) invalid-name",
                             "5 lower=enc(...) invalid-name", "6 secret(MISSING) not-found"),
                     failed.errors().stream().map(e -> e.line() + " " + e.reference() + " " + e.reason()).toList());
        assertTrue(!failed.conflict());
        assertTrue(!secrets.values.containsKey("NEW"), "all or nothing");
    }

    @Test
    void onlyExistingOrDuplicateTargetsIsAConflict() throws Exception {
        InMemorySecrets secrets = new InMemorySecrets();
        secrets.values.put("EXISTING", "x");
        Result.Failed failed = assertInstanceOf(Result.Failed.class, EnvTransformer.transform(
                DotenvFile.parse("EXISTING=enc(a)\nDUP=enc(b)\nDUP=enc(c)\nFRESH=enc(d)\n"), secrets, name -> true, name -> true));
        assertTrue(failed.conflict());
        assertEquals(List.of("exists", "duplicate", "duplicate"), failed.errors().stream().map(EnvTransformer.LineError::reason).toList());
        assertTrue(!secrets.values.containsKey("FRESH"));
    }

    @Test
    void brokenSyntaxNamesTheLine() {
        assertEquals(2, assertThrows(DotenvSyntaxException.class, () -> DotenvFile.parse("A=1\nnot an assignment\n")).line());
        assertEquals(1, assertThrows(DotenvSyntaxException.class, () -> DotenvFile.parse("A=\"open\nB=2\n")).line());
        assertEquals(1, assertThrows(DotenvSyntaxException.class, () -> DotenvFile.parse("A='x' trailing\n")).line());
    }

    // ---- properties ----

    @Provide
    Arbitrary<String> plainLines() {
        Arbitrary<String> key = Arbitraries.strings().withChars("ABCXYZ_019").ofMinLength(1).ofMaxLength(8);
        Arbitrary<String> text = Arbitraries.strings().withChars("abz AZ09._-/:$@%{}!?=*é€😀\\\t").ofMaxLength(20)
                .filter(s -> !s.contains("secret(") && !s.startsWith("enc("));
        Arbitrary<String> unquoted = text.map(String::strip).filter(s -> !s.startsWith("\"") && !s.startsWith("'"));
        Arbitrary<String> single = text.filter(s -> !s.contains("'")).map(s -> "'" + s + "'");
        Arbitrary<String> dq = text.map(s -> "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
        Arbitrary<String> value = Arbitraries.oneOf(unquoted, single, dq);
        Arbitrary<String> assignment = Combinators.combine(Arbitraries.of("", "export ", "  "), key, Arbitraries.of("=", " = ", "="),
                                                           value, Arbitraries.of("", " # comment", "  #x"))
                .as((prefix, k, eq, v, comment) -> prefix + k + eq + v + comment);
        Arbitrary<String> comment = text.map(s -> "#" + s);
        Arbitrary<String> blank = Arbitraries.of("", "   ", "\t");
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(6, assignment), net.jqwik.api.Tuple.of(2, comment),
                                       net.jqwik.api.Tuple.of(1, blank));
    }

    @Property(tries = 300)
    void filesWithoutReferencesComeBackByteForByte(@ForAll @net.jqwik.api.constraints.Size(max = 12) List<@net.jqwik.api.From("plainLines") String> lines, @ForAll boolean crlf,
                                                  @ForAll boolean finalNewline) throws Exception {
        String separator = crlf ? "\r\n" : "\n";
        String file = String.join(separator, lines) + (finalNewline && !lines.isEmpty() ? separator : "");
        assertEquals(file, transform(file, new InMemorySecrets()));
    }

    @Provide
    Arbitrary<String> values() {
        return Arbitraries.strings().withChars("aZ09 \"'#$\\`=()\n\r\té€😀{}").ofMaxLength(30);
    }

    @Property(tries = 300)
    void anyValueSurvivesEncThenExpand(@ForAll("values") String value, @ForAll boolean exported) throws Exception {
        InMemorySecrets secrets = new InMemorySecrets();
        String prefix = exported ? "export KEY=" : "KEY=";
        // The user writes enc(...) in the quoting that preserves the value: double quotes with escapes.
        String dq = "\"enc(" + value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n").replace("\r", "\\r") + ")\"";
        String encrypted = transform(prefix + dq + "\n", secrets);
        assertEquals(prefix + "secret(KEY)\n", encrypted);
        assertEquals(value, secrets.values.get("KEY"));
        String expanded = transform(encrypted, secrets);
        assertEquals(value, parsedValue(expanded, "KEY"), "read back from " + expanded);
    }

    @Property(tries = 200)
    void referencesInsideLongerValuesExpandExactly(@ForAll("values") String secret) throws Exception {
        InMemorySecrets secrets = new InMemorySecrets();
        secrets.values.put("S", secret);
        String expanded = transform("URL=\"pre-secret(S)-post\"\n", secrets);
        assertEquals("pre-" + secret + "-post", parsedValue(expanded, "URL"));
    }
}
