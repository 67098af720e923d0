# Calls into, and inclusive Ir of, each function in FNS (comma list), summed
# over every call site of a callgrind out file (names are compressed:
# "(id) name" the first time an id is seen on an fn= or cfn= line, "(id)" after).
BEGIN { split(FNS, want, ","); for (i in want) w[want[i]] = 1 }
function nm(s,   id, rest) {
    if (match(s, /^\([0-9]+\)/)) {
        id = substr(s, RSTART, RLENGTH); rest = substr(s, RLENGTH + 2)
        if (rest != "") name[id] = rest
        return name[id]
    }
    return s
}
/^fn=/ { nm(substr($0, 4)); next }
/^cfn=/ { cur = nm(substr($0, 5)); next }
/^calls=/ { split(substr($0, 7), a, " "); c = a[1]; getline; split($0, b, " ");
            if (cur in w) { n[cur] += c; ir[cur] += b[2] } }
END { for (f in w) printf "%s\t%d\t%d\n", f, n[f], ir[f] }
