# massif_peak.awk: from ms_print output, the peak snapshot's largest
# allocation sites as markdown rows: bytes | % | allocating frame | first
# pgreach/libpq/c-ares frame above it. Reads the peak's number from the
# "Detailed snapshots: [..., N (peak), ...]" line. -v max=N: at most N rows.
function frame(s,   lib) {
    lib = ""
    if (match(s, /\(in [^)]*\)/)) { lib = substr(s, RSTART + 4, RLENGTH - 5); sub(/.*\//, "", lib) }
    sub(/^.*0x[0-9A-Fa-f]+: /, "", s); sub(/ \(in .*$/, "", s)
    if (s == "???" && lib != "") s = "??? in " lib
    return s
}
/Detailed snapshots:/ { if (match($0, /[0-9]+ \(peak\)/)) peak = substr($0, RSTART, RLENGTH - 7) + 0; next }
peak && !intree && $1 == peak && $2 ~ /^[0-9,]+$/ && NF >= 5 { intree = 1; next }
intree && /^-+$/ { exit }
intree && /^->[0-9]/ {
    if (n) print row via
    if (max && n >= max) { n = 0; exit }
    pct = $1; sub(/^->/, "", pct); b = $2; gsub(/[(B)]/, "", b)
    if ($0 ~ /below massif's threshold/) f = "many small sites below 1 %"; else f = frame($0)
    row = sprintf("| %s | %s | `%s` |", b, pct, f); via = " |"; want = 1; n++
    next
}
intree && want && /(PQ[A-Za-z]+|pgr_[a-z_]+|ares_[a-z_]+|on_[a-z_]+) \(/ { via = " `" frame($0) "` |"; want = 0 }
END { if (n) print row via }
