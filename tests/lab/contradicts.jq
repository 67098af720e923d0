# The top finding of a pgreach JSON report, read against every other fact of
# the same run.  Outputs the facts that contradict it (strings); none: [].
# Used by tests/lab/scenarios.test for every lab scenario.
def atts: [.targets[] as $t | $t.attempts[] | . + {port: $t.port}];
def port_of($f): if $f.port != null then $f.port
	elif $f.target != null then .targets[$f.target].port else null end;
. as $r
| ($r.findings[0] // null) as $top
| (atts) as $a
| if $top == null then
	[ $a[] | select(.tcp.status != "ok" or .tls.status != "ok" or .login.status != "ok")
	  | "no finding, yet \(.address):\(.port) failed" ]
  else
	(port_of($top)) as $p
	| [
	  # A finding on one port: that port failed somewhere.
	  (if $top.port != null and ([ $a[] | select(.port == $p) | select(.tcp.status != "ok"
		or .tls.status != "ok" or .login.status != "ok" or .query.status != "ok"
		or (.idle != null and .idle.status != "ok")) ] | length == 0)
	   then "\($top.code) names port \($p), where nothing failed" else empty end),
	  # A silent server never answered the SSLRequest.
	  (if $top.code == "SERVER_SILENT" then
		$a[] | select(.port == $p and .tls.ssl_answer == "S")
		| "SERVER_SILENT, yet \(.address):\(.port) answered S" else empty end),
	  # "Not the endpoint": no other port on the same address and no other
	  # address on the same port connects.
	  (if $top.code == "TCP_REFUSED" then
		($a | map(select(.tcp.status == "refused"))) as $bad
		| $a[] | select(.tcp.status == "ok") | . as $ok
		| select(any($bad[]; .address == $ok.address or .port == $ok.port))
		| "TCP_REFUSED, yet \(.address):\(.port) connects" else empty end),
	  # One security group covers every interface: a group that drops a port
	  # drops it on every address.
	  (if $top.cause == "security_group" then
		$a[] | select(.tcp.status == "ok") | . as $ok
		| select(any($a[]; .port == $ok.port and .tcp.status == "timeout"))
		| "security_group, yet \(.address):\(.port) connects where another address times out"
	   else empty end),
	  # No route: nothing connects.
	  (if $top.code == "TCP_UNREACHABLE" then
		$a[] | select(.tcp.status == "ok") | "TCP_UNREACHABLE, yet \(.address):\(.port) connects"
	   else empty end),
	  # Credentials, database, capacity: the login got that answer somewhere.
	  (if ($top.cause == "credentials" or $top.cause == "database" or $top.cause == "capacity")
	   and ([ $a[] | select(.login.status as $s | {credentials: ["auth"], database: ["database"],
		capacity: ["capacity", "pgbouncer_full"]}[$top.cause] | index($s)) ] | length == 0)
	   then "\($top.cause), yet no login said so" else empty end),
	  # A login finding on PgBouncer's port blames what the client sent:
	  # the same login straight to Postgres (5432) says it is right.
	  (if $p == 5433 and ($top.cause == "credentials" or $top.cause == "database")
	   and any($a[]; .port == 5432 and .login.status == "ok")
	   then "\($top.code) on 5433, yet the same login on 5432 works" else empty end),
	  # PgBouncer cannot pass logins on: Postgres takes them, PgBouncer none.
	  (if $top.code == "PGBOUNCER_BACKEND_FAILS" then
		(if any($a[]; .port == 5432 and .login.status == "ok") | not
		 then "PGBOUNCER_BACKEND_FAILS, yet no login on 5432 works" else empty end),
		($a[] | select(.port == 5433 and .login.status == "ok")
		 | "PGBOUNCER_BACKEND_FAILS, yet \(.address):5433 logs in")
	   else empty end),
	  # A security group drops; it never answers with a reset.
	  (if $top.cause == "security_group" and $p != null then
		$a[] | select(.port == $p and .tcp.status == "refused")
		| "security_group, yet \(.address):\(.port) refused (a reset is an answer)"
	   else empty end),
	  # One address refusing every port while another connects.
	  (if $top.code == "ZONE_REFUSED" and
		([ $a | group_by(.address)[] | select(all(.[]; .tcp.status == "refused")) ] | length == 0
		 or all($a[]; .tcp.status != "ok"))
	   then "ZONE_REFUSED, yet no address refuses on every port while another connects"
	   else empty end),
	  # Server states: the login (or the query) on that port said so.
	  (if ($top.code == "DATABASE_NOT_ACCEPTING" or $top.code == "SERVER_STARTING_OR_STOPPING")
	   and (any($a[]; .port == $p and .login.status == ({DATABASE_NOT_ACCEPTING: "not_accepting",
		SERVER_STARTING_OR_STOPPING: "cannot_connect_now"}[$top.code])) | not)
	   then "\($top.code), yet no login on \($p) said so" else empty end),
	  (if $top.code == "SESSION_TERMINATED" and
		(any($a[]; .port == $p and .query.sqlstate == "57P01") | not)
	   then "SESSION_TERMINATED, yet no session on \($p) ended with 57P01" else empty end),
	  (if $top.code == "PGBOUNCER_MAX_CLIENT_CONN" and
		(any($a[]; .port == $p and .login.status == "pgbouncer_full") | not)
	   then "PGBOUNCER_MAX_CLIENT_CONN, yet PgBouncer on \($p) turned no client away" else empty end),
	  # DNS: the lookup failed.
	  (if $top.cause == "dns" and all($r.targets[]; .dns.status == "ok")
	   then "dns, yet every lookup succeeded" else empty end),
	  # A path MTU black hole: the server answered S, then stalled.
	  (if $top.code == "PATH_MTU_BLACKHOLE" then
		$a[] | select(.port == $p and .tls.status == "timeout" and .tls.ssl_answer != "S")
		| "PATH_MTU_BLACKHOLE, yet \(.address):\(.port) never answered S" else empty end),
	  # An idle cut: that port's session kept idle did not survive the wait,
	  # after its queries had been answered.
	  (if $top.code == "IDLE_CUT" and ([ $a[] | select(.port == $p and .idle != null
		and (.idle.status == "timeout" or .idle.status == "reset" or .idle.status == "eof")
		and .query.status == "ok") ] | length == 0)
	   then "IDLE_CUT, yet no session kept idle on port \($p) was cut" else empty end),
	  # A port's service down: the other port at that address answers TLS.
	  (if $top.code == "PORT_SERVICE_DOWN" then
		$a[] | select(.port == $p and .tcp.status == "refused") | . as $x
		| select(any($a[]; .address == $x.address and .port != $p and .tls.status == "ok") | not)
		| "PORT_SERVICE_DOWN, yet no other port at \(.address) answers TLS" else empty end),
	  # Evidence that decides: the endpoint's State as the evidence gives it
	  # (the checklist's "available" step, or a finding that cites
	  # describe-vpc-endpoints or the Heroku Connections table).  An
	  # endpoint not available is not a security group's doing, and one
	  # available is not waiting for acceptance.
	  ([ ($r.checklist[]? | select(.step == "available" and .finding == null
		and (.status == "pass" or .status == "fail")
		and (.reason // "" | test("^inferred") | not))
		| {st: (.reason | split(" ")[0]), why: .reason}),
	     ($r.findings[] | .evidence // "" | [match("(describe-vpc-endpoints|DescribeVpcEndpoints [(]--aws[)]|privatelink [(]Connections[)])[^;]*? (vpce-[0-9a-f]+) is ([A-Za-z]+)"; "g")]
		| .[] | {st: .captures[2].string, why: .string}) ] as $st
	   | (if $top.cause == "security_group" then
		$st[] | select(.st != "available")
		| "security_group, yet the evidence says \(.why)" else empty end),
	     (if $top.cause == "acceptance" and $top.code != "ACCOUNT_NOT_ALLOWED" then
		$st[] | select(.st == "available")
		| "acceptance, yet the evidence says \(.why)" else empty end)),
	  # A region mismatch the evidence shows: nothing crosses regions, so
	  # nothing connects (--region compares the client's region only).
	  (if $top.cause == "region" and ($top.evidence // "" | test("--region|AWS_REGION") | not) then
		$a[] | select(.tcp.status == "ok")
		| "region, yet \(.address):\(.port) connects" else empty end),
	  # An unroutable AAAA: each address it names is an IPv6 one that was
	  # unreachable, or one that connects; some address connects on every port.
	  (if $top.code == "IPV6_UNREACHABLE" then
		($a[] | . as $x | select(($top.summary | contains($x.address)) and .tcp.status != "ok"
		  and (.family != 6 or .tcp.status != "unreachable"))
		 | "IPV6_UNREACHABLE names \(.address), yet TCP to it on \(.port) is \(.tcp.status)"),
		(if any($a[]; . as $x | .family == 6 and .tcp.status == "unreachable"
		  and ($top.summary | contains($x.address))) then empty
		 else "IPV6_UNREACHABLE names no IPv6 address that was unreachable" end),
		(if any($a[]; .address as $x | all($a[] | select(.address == $x); .tcp.status == "ok"))
		 then empty else "IPV6_UNREACHABLE, yet no address connects on every port" end)
	   else empty end),
	  # "No route" is never said of an address that connected.
	  ($a[] | select(.tcp.status == "ok") | . as $x
	   | select($top.evidence // "" | split("no route") | .[1:] | join(" ") | contains($x.address))
	   | "\($top.code) says no route to \(.address), yet it connects on \(.port)")
	  ]
  end
