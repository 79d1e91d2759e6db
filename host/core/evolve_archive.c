/*
 * evolve_archive.c - the archive of generations as the meta agent reads
 * it, and each round's choice of parent; see evolve.h and
 * evolve_internal.h.
 *
 * Selection is either greedy ("best": extend the live generation, so
 * acceptance climbs main) or open-ended ("archive": any valid generation,
 * weighted by fitness and penalised for its children, as in the Darwin
 * Goedel Machine). The draw depends on the run's seed and the generation
 * number only, so a run can be repeated.
 */
#include "evolve_internal.h"

#include "error.h"

#include <stdlib.h>
#include <string.h>

int evolve_history_read(evolve_history *out, lab *l)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_each(l->store, record_list_keep, out)) < 0)
		record_list_free(out);
	return rc;
}

json_t *evolve_archive_json(const evolve_history *h)
{
	json_t *archive = json_array();
	size_t i;

	for (i = 0; archive && i < h->n; i++) {
		const record *r = &h->items[i];
		json_array_append_new(archive, json_pack("{s:i, s:i, s:s, s:f, s:f, s:s, s:s}",
			"generation", r->number, "parent", r->parent < 0 ? 0 : r->parent,
			"status", record_status_name(r->status), "fitness", r->fitness,
			"holdout", r->holdout, "reason", r->reason,
			"changes", r->changes ? r->changes : ""));
	}
	return archive;
}

json_t *evolve_archive(lab *l)
{
	evolve_history h;
	json_t *archive;

	if (evolve_history_read(&h, l) < 0)
		return json_array();
	archive = evolve_archive_json(&h);
	record_list_free(&h);
	return archive;
}

/* A valid generation of the history, weighted by fitness and penalised
 * for the children it already has, as in the Darwin Goedel Machine; `u`
 * is uniform in [0, 1). */
static int pick_from_history(const evolve_history *h, double u, int fallback)
{
	size_t i, n = h->n;
	int last = n ? h->items[n - 1].number : 0, chosen = fallback;
	int *children = calloc((size_t)last + 1, sizeof(int));
	double *weight = calloc(n + 1, sizeof(double)), total = 0, pick;

	for (i = 0; weight && children && i < n; i++) {
		int parent = h->items[i].parent < 0 ? 0 : h->items[i].parent;  /* gen_000's is itself */
		if (parent <= last && parent != h->items[i].number)
			children[parent]++;
	}
	for (i = 0; weight && children && i < n; i++) {
		if (!record_measured(&h->items[i]))
			continue;
		weight[i] = (0.05 + h->items[i].fitness) / (1 + children[h->items[i].number]);
		total += weight[i];
	}
	for (i = 0, pick = u * total; weight && total > 0 && i < n; i++) {
		if (pick < weight[i]) {
			chosen = h->items[i].number;
			break;
		}
		pick -= weight[i];
	}
	free(weight);
	free(children);
	return chosen;
}

int evolve_select_parent(int *out, lab *l, const evolve_options *o,
			 const evolve_history *h, int number)
{
	unsigned long long draw = evolve_mix(o->eval.seed, (unsigned long long)number);
	int live, rc = store_main(l->store, &live);

	if (rc < 0)
		return rc;
	/* the draw's top 53 bits: uniform in [0, 1) */
	*out = o->select_archive
		? pick_from_history(h, (double)(draw >> 11) / 9007199254740992.0, live) : live;
	return 0;
}
