/*
 * record_list.c - records in a growing array; see record.h.
 *
 * Kept apart from record.c, one record and its JSON, which the list only
 * copies and frees.
 */
#include "record.h"

#include <stdlib.h>

int record_list_add(record_list *list, const record *r)
{
	record *grown = realloc(list->items, (list->n + 1) * sizeof(*grown));

	if (!grown)
		return err_set(ERR_SYSTEM, "out of memory");
	list->items = grown;
	if (record_copy(&grown[list->n], r) < 0)
		return ERR_SYSTEM;
	list->n++;
	return 0;
}

int record_list_keep(void *list, const record *r)
{
	return record_list_add(list, r);
}

void record_list_free(record_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		record_free(&list->items[i]);
	free(list->items);
	list->items = NULL;
	list->n = 0;
}
