#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/aws/ec2xml.h"
#include "tests/support/cases.h"
#include "tests/support/load.h"

static json_t *
load_json(const char *dir, const char *rel, char *err, size_t errlen)
{
	char path[2048];
	json_error_t jerr;
	json_t *j;

	if (rel == NULL) {
		snprintf(err, errlen, "no file named");
		return NULL;
	}
	if (dir != NULL)
		snprintf(path, sizeof(path), "%s/%s", dir, rel);
	else
		snprintf(path, sizeof(path), "%s", rel);
	if ((j = json_load_file(path, 0, &jerr)) == NULL)
		snprintf(err, errlen, "%s: %s", path, jerr.text);
	return j;
}

/*
 * "aws": --aws evidence, as input/aws/client.c hands it over: the EC2
 * answers by action name ("DescribeVpcEndpoints": "../aws/vpce.xml"), each
 * call ok, and "calls" setting other outcomes ("DescribeNetworkAcls":
 * "access_denied"), "region" where the calls were made, "hosts" how each
 * target host was matched to an endpoint (or why not).
 */
static int
aws_evidence(json_t *aws, const char *dir, struct pgr_evidence *ev,
    char *errbuf, size_t errlen)
{
	static const char *const names[PGR_AWS__NACTIONS] = { "DescribeVpcEndpoints",
	    "DescribeSecurityGroups", "DescribeSubnets", "DescribeNetworkAcls",
	    "DescribeNetworkInterfaces" };
	struct pgr_ev_aws_calls calls;
	json_t *o = json_object_get(aws, "calls"), *v;
	char path[2200], tok[256], rid[64], err[160];
	size_t i;
	int a, s;

	if (aws == NULL)
		return 0;
	memset(&calls, 0, sizeof(calls));
	snprintf(calls.region, sizeof(calls.region), "%s",
	    json_string_value(json_object_get(aws, "region")));
	for (a = 0; a < PGR_AWS__NACTIONS; a++) {
		const char *file = json_string_value(json_object_get(aws, names[a]));
		struct pgr_evidence_item *it;
		FILE *f;
		char *buf;
		size_t len;

		calls.calls[a].status = PGR_AWS_NOT_ASKED;
		if ((v = json_object_get(o, names[a])) != NULL)
			for (s = 0; s <= PGR_AWS_ERROR; s++)
				if (strcmp(pgr_aws_status_name((enum pgr_aws_status)s),
				    json_string_value(v)) == 0) {
					calls.calls[a].status = (enum pgr_aws_status)s;
					snprintf(calls.calls[a].detail, sizeof(calls.calls[a].detail),
					    "%s: %s", names[a], json_string_value(v));
				}
		if (file == NULL)
			continue;
		calls.calls[a].status = PGR_AWS_OK;
		snprintf(path, sizeof(path), "%s/%s", dir, file);
		if ((f = fopen(path, "rb")) == NULL || (buf = malloc(1 << 20)) == NULL) {
			snprintf(errbuf, errlen, "%s: cannot read", path);
			if (f != NULL)
				fclose(f);
			return -1;
		}
		len = fread(buf, 1, 1 << 20, f);
		fclose(f);
		ev->items = realloc(ev->items, (ev->n + 1) * sizeof(*ev->items));
		it = &ev->items[ev->n++];
		memset(it, 0, sizeof(*it));
		if (pgr_ec2xml_parse((enum pgr_aws_action)a, buf, len, it, tok,
		    sizeof(tok), rid, sizeof(rid), err, sizeof(err)) != 0) {
			snprintf(errbuf, errlen, "%.900s: %.100s", path, err);
			free(buf);
			return -1;
		}
		free(buf);
	}
	/* "hosts": [{ "host", "endpoint_id", "how", "why" }]: what --aws matched. */
	json_array_foreach(json_object_get(aws, "hosts"), i, v) {
		struct pgr_aws_host *h;

		if (calls.nhosts == PGR_AWS_MAX_HOSTS)
			break;
		h = &calls.hosts[calls.nhosts++];
		snprintf(h->host, sizeof(h->host), "%s", json_string_value(json_object_get(v, "host")));
		snprintf(h->endpoint_id, sizeof(h->endpoint_id), "%s",
		    json_string_value(json_object_get(v, "endpoint_id")) ?
		    json_string_value(json_object_get(v, "endpoint_id")) : "");
		snprintf(h->how, sizeof(h->how), "%s", json_string_value(json_object_get(v, "how")) ?
		    json_string_value(json_object_get(v, "how")) : "");
		snprintf(h->why, sizeof(h->why), "%s", json_string_value(json_object_get(v, "why")) ?
		    json_string_value(json_object_get(v, "why")) : "");
	}
	ev->items = realloc(ev->items, (ev->n + 1) * sizeof(*ev->items));
	memset(&ev->items[ev->n], 0, sizeof(ev->items[ev->n]));
	ev->items[ev->n].type = PGR_EV_AWS_CALLS;
	ev->items[ev->n++].u.aws = calls;
	return 0;
}

static const char *
str(json_t *c, const char *key)
{
	return json_string_value(json_object_get(c, key));
}

int
case_load(const char *path, struct pgr_case *k, char *err, size_t errlen)
{
	char dir[1024], *slash;
	json_t *rep, *v;
	long warn_days = 14;
	size_t i;

	memset(k, 0, sizeof(*k));
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if ((k->c = load_json(NULL, path, err, errlen)) == NULL)
		return -1;
	if ((rep = load_json(dir, str(k->c, "report"), err, errlen)) == NULL)
		return -1;
	if (pgr_report_load(rep, &k->r, err, errlen) != 0) {
		json_decref(rep);
		return -1;
	}
	json_decref(rep);
	json_array_foreach(json_object_get(k->c, "evidence"), i, v) {
		char ev[2048];

		snprintf(ev, sizeof(ev), "%s/%s", dir, json_string_value(v));
		if (pgr_evidence_load(&k->ev, ev, err, errlen) != 0)
			return -1;
	}
	if (aws_evidence(json_object_get(k->c, "aws"), dir, &k->ev, err, errlen) != 0)
		return -1;
	if (json_object_get(k->c, "cert_warning_days") != NULL)
		warn_days = (long)json_integer_value(json_object_get(k->c, "cert_warning_days"));
	if (pgr_thresholds_set(&k->thr, str(k->c, "warning"), str(k->c, "critical"),
	    str(k->c, "query_warning"), str(k->c, "query_critical"), warn_days, 0,
	    err, errlen) != 0)
		return -1;
	k->o.region = str(k->c, "region");
	k->o.region_source = "--region";
	k->o.ev = k->ev.n ? &k->ev : NULL;
	k->o.sslmode = str(k->c, "sslmode") ? str(k->c, "sslmode") : "require";
	k->o.thr = &k->thr;
	/* "idle": the run's --idle in seconds (its keepalive finding warns). */
	k->o.idle_s = json_number_value(json_object_get(k->c, "idle"));
	return pgr_analyze(&k->an, &k->r, &k->o, err, errlen);
}

void
case_free(struct pgr_case *k)
{
	pgr_analysis_free(&k->an);
	pgr_report_free(&k->r);
	pgr_evidence_free(&k->ev);
	json_decref(k->c);
	memset(k, 0, sizeof(*k));
}
