/*
 * report_tree.c - the report's family tree: generations left to right,
 * each one level below its parent; see report_internal.h.
 *
 * A run where most candidates are rejected children of one parent would
 * draw a fan of dozens of edges and a row of dots from that parent. A
 * child that was not accepted and had no children of its own is a dead
 * end, and says nothing one by one: when a parent has more than
 * TREE_SPREAD of them they are not drawn but counted, "+57" beside it
 * (its title lists them), so that the tree shows the lineage. Every
 * generation is in the fitness chart and the table all the same.
 */
#include "report_internal.h"

#include <stdio.h>
#include <stdlib.h>

/* Dead-end children of one parent drawn one by one; more are counted. */
#define TREE_SPREAD 3

typedef struct {
	long *parent;      /* index in d->gens of each generation's parent; -1 none */
	int *depth;
	int *dead_ends;    /* each generation's children that are dead ends */
	char *counted;     /* a dead end counted beside its parent, not drawn */
	report_scale y;
} tree;

static int dead_end(const report_data *d, const tree *t, const char *has_children, size_t i)
{
	const record *g = &d->gens.items[i];

	return t->parent[i] >= 0 && g->status != RECORD_ACCEPTED && !has_children[i] &&
	       g->number != d->live;
}

/* Each generation's parent, depth and dead ends. */
static int tree_make(tree *t, const report_data *d)
{
	size_t i, n = d->gens.n;
	char *has_children = calloc(n + 1, 1);
	int max_depth = 1;

	t->parent = calloc(n + 1, sizeof(*t->parent));
	t->depth = calloc(n + 1, sizeof(*t->depth));
	t->dead_ends = calloc(n + 1, sizeof(*t->dead_ends));
	t->counted = calloc(n + 1, 1);
	if (!has_children || !t->parent || !t->depth || !t->dead_ends || !t->counted) {
		free(has_children);
		return -1;
	}
	for (i = 0; i < n; i++) {
		t->parent[i] = report_index(d, d->gens.items[i].parent);
		if (t->parent[i] >= (long)i)  /* a note naming a later parent: none */
			t->parent[i] = -1;
		t->depth[i] = t->parent[i] >= 0 ? t->depth[t->parent[i]] + 1 : 0;
		if (t->parent[i] >= 0)
			has_children[t->parent[i]] = 1;
	}
	for (i = 0; i < n; i++)
		if (dead_end(d, t, has_children, i))
			t->dead_ends[t->parent[i]]++;
	for (i = 0; i < n; i++) {
		t->counted[i] = dead_end(d, t, has_children, i) &&
				t->dead_ends[t->parent[i]] > TREE_SPREAD;
		if (!t->counted[i] && t->depth[i] > max_depth)  /* the axis is what is drawn */
			max_depth = t->depth[i];
	}
	free(has_children);
	/* depth grows downwards from gen_000: the top of the axis is 0 */
	t->y = report_scale_fit(0, max_depth, 1);
	t->y.down = 1;
	return 0;
}

static void tree_free(tree *t)
{
	free(t->parent);
	free(t->depth);
	free(t->dead_ends);
	free(t->counted);
}

/* A band behind each round of siblings (evolve --parallel): the
 * candidates proposed together, from one draw of parents each. */
static void round_bands(buf *out, const report_data *d, const report_scale *y)
{
	size_t i, j, n = d->gens.n;

	for (i = 0; i < n; i = j) {
		int round = d->gens.items[i].round;
		for (j = i + 1; j < n && round > 0 && d->gens.items[j].round == round; j++)
			;
		if (round <= 0 || j - i < 2)
			continue;
		buf_printf(out, "<rect class=\"round\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			   "height=\"%.1f\"><title>round %d: gen_%03d to gen_%03d, %zu siblings made "
			   "at once</title></rect>\n", report_x(i, n) - 5, report_scale_y(y, y->lo),
			   report_x(j - 1, n) - report_x(i, n) + 10,
			   report_scale_y(y, y->hi) - report_scale_y(y, y->lo), round,
			   d->gens.items[i].number, d->gens.items[j - 1].number, j - i);
	}
}

/* A generation's node, its tooltip naming its parent and round, and a
 * link to its details. */
static void tree_node(buf *out, const report_data *d, const tree *t, size_t i)
{
	const record *g = &d->gens.items[i];
	char parent[32] = "no parent", round[32] = "";

	if (g->parent >= 0)
		snprintf(parent, sizeof(parent), "parent gen_%03d", g->parent);
	if (g->round > 0)
		snprintf(round, sizeof(round), ", round %d", g->round);
	buf_printf(out, "<a href=\"#gen-%d\"><circle class=\"node %s%s\" cx=\"%.1f\" cy=\"%.1f\" "
		   "r=\"%.1f\"><title>gen_%03d (%s%s) %s</title></circle></a>\n", g->number,
		   report_status_of(g), g->number == d->live ? " live" : "", report_x(i, d->gens.n),
		   report_scale_y(&t->y, t->depth[i]), report_radius(d->gens.n, 4), g->number, parent,
		   round, report_status_of(g));
}

/* "+57" beside parent p, titled with what its counted children were. */
static void counted_children(buf *out, const report_data *d, const tree *t, size_t p)
{
	int counts[RECORD_N_STATUSES] = { 0 }, listed = 0, s;
	size_t i;

	for (i = p + 1; i < d->gens.n; i++)
		if (t->counted[i] && t->parent[i] == (long)p)
			counts[d->gens.items[i].status]++;
	buf_printf(out, "<text class=\"counted\" x=\"%.1f\" y=\"%.1f\">+%d<title>gen_%03d's %d "
		   "children that were not accepted and have none of their own, not drawn:",
		   report_x(p, d->gens.n) + 6, report_scale_y(&t->y, t->depth[p]) - 5,
		   t->dead_ends[p], d->gens.items[p].number, t->dead_ends[p]);
	for (s = 0; s < RECORD_N_STATUSES; s++)
		if (counts[s])
			buf_printf(out, " %d %s", counts[s], record_status_name((record_status)s));
	for (i = p + 1; i < d->gens.n; i++)
		if (t->counted[i] && t->parent[i] == (long)p && listed++ < 30)
			buf_printf(out, "%s gen_%03d", listed == 1 ? ";" : ",", d->gens.items[i].number);
	buf_printf(out, "%s</title></text>\n", listed > 30 ? " ..." : "");
}

void report_chart_tree(buf *out, const report_data *d)
{
	static const legend_key keys[] = {
		{ "dot", "node accepted", "accepted" }, { "dot", "node rejected", "rejected" },
		{ "dot", "node invalid", "invalid" }, { "dot", "node interrupted", "interrupted" },
		{ "dot", "node live", "live" }, { "box", "round", "a round's siblings" },
		{ NULL, NULL, NULL },
	};
	size_t i, n = d->gens.n;
	tree t;

	if (tree_make(&t, d) < 0) {
		tree_free(&t);
		buf_puts(out, "<p>The family tree: out of memory.</p>\n");
		return;
	}
	report_chart_gens(out, "chart-tree", "family tree (depth from gen_000)", &t.y, d, keys);
	round_bands(out, d, &t.y);
	for (i = 0; i < n; i++)
		if (t.parent[i] >= 0 && !t.counted[i])
			buf_printf(out, "<line class=\"edge\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				   "y2=\"%.1f\"/>\n", report_x((size_t)t.parent[i], n),
				   report_scale_y(&t.y, t.depth[t.parent[i]]), report_x(i, n),
				   report_scale_y(&t.y, t.depth[i]));
	for (i = 0; i < n; i++) {
		if (!t.counted[i])
			tree_node(out, d, &t, i);
		if (t.dead_ends[i] > TREE_SPREAD)
			counted_children(out, d, &t, i);
	}
	buf_puts(out, "</svg>\n");
	tree_free(&t);
}
