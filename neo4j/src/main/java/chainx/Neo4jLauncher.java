package chainx;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;
import org.neo4j.kernel.internal.Version;

/**
 * Neo4j Community Edition in one JVM, for chainx: the embedded database management service with
 * its Bolt connector on a loopback port, a data folder of its own and a password for the user
 * {@code neo4j}. It prints one {@code CHAINX-NEO4J-READY} line once Bolt accepts logins and runs
 * until it is stopped (Ctrl+C or SIGTERM shut it down cleanly; with {@code --stop-on-eof}, also
 * the end of its standard input, so a test run that dies never leaves it behind).
 *
 * <pre>
 * java -Xmx1g -jar neo4j/target/chainx-neo4j.jar --home DIR --bolt-port 7687 --password SECRET [--plugins DIR]
 *     [--page-cache 128m] [--shutdown-wait SECONDS] [--stop-on-eof]
 * </pre>
 */
public final class Neo4jLauncher {
    public static final String READY = "CHAINX-NEO4J-READY";

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = parse(argv);
        Path home = Path.of(args.getOrDefault("home", ".neo4j")).toAbsolutePath();
        int port = Integer.parseInt(args.getOrDefault("bolt-port", "7687"));
        String password = args.get("password");
        if (password == null || password.length() < 8) {
            fail("--password is required (8 characters or more: Neo4j's minimum)");
        }
        String pageCache = args.getOrDefault("page-cache", "128m");
        boolean stopOnEof = args.containsKey("stop-on-eof");
        Path plugins = args.containsKey("plugins") ? Path.of(args.get("plugins")).toAbsolutePath() : besideJar("plugins");
        long started = System.nanoTime();

        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(home)
                // small on purpose: a test server shares two cores and its memory with the rest of the run
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.parse(pageCache))
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "2 files")
                // Graph Data Science: Neo4j registers procedures only from the jars of its plugins
                // folder (target/plugins, GDS's jars, also on the classpath for its extension), and
                // GDS's need the kernel's internals
                .setConfig(GraphDatabaseSettings.plugin_dir, plugins)
                .setConfig(GraphDatabaseSettings.procedure_unrestricted, List.of("gds.*"))
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ZERO)
                // a stop does not wait out Netty's quiet period (5 s for each of Bolt's two event
                // loops, after every connection is closed): the outage tests stop it four times
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                // nothing is sent anywhere: chainx's users work on closed office networks
                .setConfig(GraphDatabaseSettings.udc_enabled, false);
        if (args.containsKey("shutdown-wait")) {
            // how long a stop waits for open transactions to finish before it ends them (Neo4j's
            // default is 10 s; the outage tests stop the server mid-transaction)
            builder.setConfig(GraphDatabaseSettings.shutdown_transaction_end_timeout,
                    Duration.ofSeconds(Long.parseLong(args.get("shutdown-wait"))));
        }
        DatabaseManagementService dbms = builder.build();
        long built = System.nanoTime();
        Runtime.getRuntime().addShutdownHook(new Thread(dbms::shutdown, "chainx-neo4j-shutdown"));

        setPassword(dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME), password, home.resolve("data"));
        long loggedIn = System.nanoTime();
        GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        db.executeTransactionally("RETURN 1");
        long now = System.nanoTime();

        System.out.printf("%s bolt://127.0.0.1:%d user neo4j database %s (Neo4j %s) data %s in %.1fs"
                        + " (started %.1fs, password %.1fs, first query %.1fs)%n",
                READY, port, db.databaseName(), Version.getNeo4jVersion(), home, (now - started) / 1e9,
                (built - started) / 1e9, (loggedIn - built) / 1e9, (now - loggedIn) / 1e9);
        if (!stopOnEof) {
            System.out.println("Ctrl+C (or kill " + ProcessHandle.current().pid() + ") stops it.");
        }
        System.out.flush();

        if (stopOnEof) {
            waitForEof(System.in);
            System.exit(0);  // the shutdown hook closes the databases
        }
        Thread.currentThread().join();
    }

    /** {@code name} in the folder of this launcher's jar (target/), or in home when run from classes. */
    private static Path besideJar(String name) throws Exception {
        Path code = Path.of(Neo4jLauncher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return (code.toString().endsWith(".jar") ? code.getParent() : code).resolve(name).toAbsolutePath();
    }

    /**
     * The password of the user neo4j is the one given (no change forced at first login): set at
     * the first start on a data folder, and again whenever another one is given. A restart with
     * the same one skips it, which was a third of a start's time (a first query on the system
     * database), and the outage tests restart the server: the folder keeps a digest of the last
     * password set, never the password.
     */
    private static void setPassword(GraphDatabaseService system, String password, Path data) throws Exception {
        Path digestFile = data.resolve("chainx-password.sha256");
        String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8)));
        if (Files.exists(digestFile) && Files.readString(digestFile).equals(digest)) {
            return;
        }
        try {
            system.executeTransactionally("ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                    Map.of("password", password));
        } catch (RuntimeException error) {
            // it already is this password (a restart on the same data)
            if (!String.valueOf(error.getMessage()).contains("cannot be the same")) {
                throw error;
            }
        }
        Files.writeString(digestFile, digest);
    }

    private static void waitForEof(InputStream in) {
        byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) >= 0) {
                // nothing is read from the parent but its going away
            }
        } catch (IOException ignored) {
            // a broken pipe is an end too
        }
    }

    private static Map<String, String> parse(String[] argv) {
        Map<String, String> args = new HashMap<>();
        for (int i = 0; i < argv.length; i++) {
            String name = argv[i];
            if (!name.startsWith("--")) {
                fail("unexpected argument: " + name);
            }
            name = name.substring(2);
            if (name.equals("stop-on-eof")) {
                args.put(name, "");
            } else if (i + 1 < argv.length) {
                args.put(name, argv[++i]);
            } else {
                fail("--" + name + " needs a value");
            }
        }
        return args;
    }

    private static void fail(String message) {
        System.err.println("chainx-neo4j: " + message);
        System.exit(2);
    }

    private Neo4jLauncher() {
    }
}
