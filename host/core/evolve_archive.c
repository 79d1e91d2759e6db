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

#include <stdlib.h>
#include <string.h>

json_t *evolve_archive(lab *l)
{
	json_t *archive = json_array();
	int *numbers;
	size_t n, i;

	if (store_numbers(l->store, &numbers, &n) < 0)
		return archive;
	for (i = 0; i < n; i++) {
		store_gen g;
		const json_t *changes;
		if (store_read(l->store, numbers[i], &g, NULL) < 0)
			continue;
		changes = json_object_get(g.record, "changes");
		json_array_append_new(archive, json_pack("{s:i, s:i, s:s, s:f, s:f, s:s, s:s}",
			"generation", g.number, "parent", g.parent < 0 ? 0 : g.parent,
			"status", g.status, "fitness", g.fitness,
			"holdout", json_number_value(json_object_get(g.record, "holdout")),
			"reason", g.reason, "changes", json_string_value(changes) ? json_string_value(changes) : ""));
		store_gen_free(&g);
	}
	free(numbers);
	return archive;
}

static int archive_int(const json_t *archive, size_t i, const char *key)
{
	return (int)json_integer_value(json_object_get(json_array_get(archive, i), key));
}

/* A valid generation of `archive` (ascending; unreadable ones left out),
 * weighted by fitness and penalised for the children it already has, as
 * in the Darwin Goedel Machine; `u` is uniform in [0, 1). */
static int pick_from_archive(const json_t *archive, double u, int fallback)
{
	size_t i, n = json_array_size(archive);
	int last = n ? archive_int(archive, n - 1, "generation") : 0, chosen = fallback;
	int *children = calloc((size_t)last + 1, sizeof(int));
	double *weight = calloc(n + 1, sizeof(double)), total = 0, pick;

	for (i = 0; weight && children && i < n; i++) {
		int parent = archive_int(archive, i, "parent");  /* gen_000's is itself */
		if (parent >= 0 && parent <= last && parent != archive_int(archive, i, "generation"))
			children[parent]++;
	}
	for (i = 0; weight && children && i < n; i++) {
		const json_t *g = json_array_get(archive, i);
		if (strcmp(json_string_value(json_object_get(g, "status")), "invalid") == 0)
			continue;
		weight[i] = (0.05 + json_number_value(json_object_get(g, "fitness"))) /
			    (1 + children[archive_int(archive, i, "generation")]);
		total += weight[i];
	}
	for (i = 0, pick = u * total; weight && total > 0 && i < n; i++) {
		if (pick < weight[i]) {
			chosen = archive_int(archive, i, "generation");
			break;
		}
		pick -= weight[i];
	}
	free(weight);
	free(children);
	return chosen;
}

int evolve_select_parent(int *out, lab *l, const evolve_options *o, const json_t *archive,
			 int number)
{
	unsigned long long draw = evolve_mix(o->eval.seed, (unsigned long long)number);
	int live, rc = store_main(l->store, &live);

	if (rc < 0)
		return rc;
	/* the draw's top 53 bits: uniform in [0, 1) */
	*out = o->select_archive
		? pick_from_archive(archive, (double)(draw >> 11) / 9007199254740992.0, live) : live;
	return 0;
}
