/*
 * support.h - the interface of a customer-support answerer.
 *
 * support_answer writes its answer to a customer's question about Nimbus
 * (a made-up maker of kettles and toasters) into `answer`: at most `size`
 * bytes with the NUL, on one line (the driver turns line breaks into
 * spaces). The facts to answer from are the knowledge base in kb.h.
 *
 * A solution may also ask the language model, once per question on
 * average (task.json's "model"), with the host's model_ask, which is
 * declared before this header (task_abi.h): it returns MODEL_NONE when
 * no model answers, offline or once the run's budget is spent, and the
 * answer must then come from kb.h alone.
 *
 * TUNE(value, lo, hi) marks a numeric parameter of a solution. It expands
 * to `value`; tuners (the offline proposer) may rewrite `value` within
 * [lo, hi] and change nothing else.
 */
#ifndef SUPPORT_H
#define SUPPORT_H

#define TUNE(value, lo, hi) (value)

#define SUPPORT_ANSWER_MAX 300  /* the size the driver gives: a short answer */

void support_answer(const char *question, char *answer, int size);

#endif
