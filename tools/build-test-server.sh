#!/usr/bin/env bash
# Temporal's Java time-skipping test server from Maven Central, behind an exec wrapper
# (the SDK stops the server with SIGKILL: without exec the JVM would be orphaned).
source "$(dirname "$0")/lib.sh"
VERSION=1.38.0
up_to_date temporal-test-server "$VERSION" && exit 0
need java "install a Java 11+ runtime to run Temporal's time-skipping test server"
need mvn "install Maven 3 to fetch Temporal's time-skipping test server"
say "fetching temporal-test-server $VERSION and its dependencies with Maven (first time: a minute or two)"
cd "$ROOT/tools/test-server"
mvn -B -q -Dtemporal.test.server.version="$VERSION" dependency:build-classpath -Dmdep.outputFile="$TOOLS/test-server.cp"
cat > "$BIN/temporal-test-server" <<WRAP
#!/bin/sh
exec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -Xss512k -cp "\$(cat "$TOOLS/test-server.cp")" io.temporal.testserver.TestServer "\$@"
WRAP
chmod +x "$BIN/temporal-test-server"
stamp temporal-test-server "$VERSION"
say "temporal-test-server ready: $BIN/temporal-test-server"
