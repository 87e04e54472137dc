package dev.shardvault.gateway.env;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The test of record for expanded values: npm {@code dotenv} itself parses a file written by {@link Quoting}
 * and must read back exactly the value for forms 1 and 2, and for form 3 when the value has no {@code \} or
 * {@code "}. Needs node and npm (dotenv is installed into target/ once); without them the test is aborted
 * with that reason, not passed.
 */
class NpmDotenvTest {

    private static final String DOTENV_VERSION = "16.4.7";

    @Test
    void npmDotenvReadsBackEveryEmittedValue() throws Exception {
        Path dir = Path.of("target", "npm-dotenv").toAbsolutePath();
        Assumptions.assumeTrue(installed(dir), "node and npm with access to the npm registry are needed for this check");
        Map<String, String> values = new LinkedHashMap<>();
        values.put("BARE", "abc-1.2/x:y@z%+,=_");
        values.put("SPACES", "two words");
        values.put("SHELLISH", "$HOME ${X} #hash `tick` \\back \"dq\"");
        values.put("APOSTROPHE", "it's");
        values.put("MULTILINE", "line1\nline2\nline3");
        values.put("UNICODE", "é€😀 ü");
        values.put("EMPTY", "");
        Random random = new Random(42);
        String alphabet = "aZ09 #$'`=(){}é€😀\n\t-_.:/@%+,";
        for (int i = 0; i < 200; i++) {
            StringBuilder value = new StringBuilder();
            int length = random.nextInt(20);
            for (int j = 0; j < length; j++) {
                value.appendCodePoint(alphabet.codePointAt(alphabet.offsetByCodePoints(0, random.nextInt(alphabet.codePointCount(0, alphabet.length())))));
            }
            values.put("RANDOM_" + i, value.toString());
        }
        StringBuilder file = new StringBuilder();
        values.forEach((key, value) -> file.append(key).append('=').append(Quoting.emit(value)).append('\n'));
        Path env = dir.resolve("emitted.env");
        Files.writeString(env, file, StandardCharsets.UTF_8);
        Process node = new ProcessBuilder("node", "-e",
                "const d=require('dotenv');const fs=require('fs');"
                + "process.stdout.write(JSON.stringify(d.parse(fs.readFileSync(process.argv[1]))))", env.toString())
                .directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, node.waitFor(), output);
        JsonObject parsed = Json.createReader(new StringReader(output)).readObject();
        values.forEach((key, value) -> {
            String emitted = Quoting.emit(value);
            boolean formThree = emitted.startsWith("\"");
            if (!formThree || (value.indexOf('\\') < 0 && value.indexOf('"') < 0)) {
                assertEquals(value, parsed.getString(key), key + " written as " + emitted);
            }
        });
    }

    private static boolean installed(Path dir) throws IOException, InterruptedException {
        if (Files.isDirectory(dir.resolve("node_modules/dotenv"))) {
            return true;
        }
        Files.createDirectories(dir);
        try {
            Process npm = new ProcessBuilder("npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefix", dir.toString(),
                                             "dotenv@" + DOTENV_VERSION)
                    .redirectErrorStream(true).start();
            npm.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            return npm.waitFor(120, TimeUnit.SECONDS) && npm.exitValue() == 0
                   && Files.isDirectory(dir.resolve("node_modules/dotenv"));
        } catch (IOException e) {
            return false; // no npm on this machine
        }
    }
}
