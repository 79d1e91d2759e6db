#!/usr/bin/env python3
"""The snake benchmark as the public Python project runs it: 20 seeded games
on a 10x10 board, scored by the mean number of apples. The policy is the
same tuned heuristic as tests/llm/snake_good.c, written in Python, so that
`make bench` compares implementations at the same strength: snake_good.c
as written, and bench/snake_strong.c, which makes the same moves.

usage: snake_benchmark.py   (prints the score and the seconds taken)
"""
import random
import time

SIZE, MAX_STEPS, MAX_LEN = 10, 300, 100
MOVES = [(-1, 0), (1, 0), (0, -1), (0, 1)]  # up, down, left, right
FOOD_WEIGHT, SPACE_WEIGHT, SPACE_LIMIT, WALL_WEIGHT = 0.1201, 1.9145, 22, 0.0212


def free_space(body, start, limit):
    seen = set(body)
    seen.add(start)
    queue, count = [start], 0
    while queue and count < limit:
        r, c = queue.pop(0)
        count += 1
        for dr, dc in MOVES:
            n = (r + dr, c + dc)
            if 0 <= n[0] < SIZE and 0 <= n[1] < SIZE and n not in seen:
                seen.add(n)
                queue.append(n)
    return count


def next_move(body, food):
    best, best_move = -1e18, 0
    for m, (dr, dc) in enumerate(MOVES):
        r, c = body[0][0] + dr, body[0][1] + dc
        if not (0 <= r < SIZE and 0 <= c < SIZE) or (r, c) in body:
            continue
        score = -FOOD_WEIGHT * (abs(r - food[0]) + abs(c - food[1]))
        score += SPACE_WEIGHT * free_space(body, (r, c), SPACE_LIMIT)
        score -= WALL_WEIGHT * ((r == 0) + (r == SIZE - 1) + (c == 0) + (c == SIZE - 1))
        if score > best:
            best, best_move = score, m
    return best_move


def place_food(body):
    while True:
        food = (random.randint(0, SIZE - 1), random.randint(0, SIZE - 1))
        if food not in body:
            return food


def play(seed):
    random.seed(seed)
    body = [(5, 5)]
    food, apples = place_food(body), 0
    for _ in range(MAX_STEPS):
        move = next_move(list(body), food)
        if move not in range(4):
            break
        head = (body[0][0] + MOVES[move][0], body[0][1] + MOVES[move][1])
        if not (0 <= head[0] < SIZE and 0 <= head[1] < SIZE) or head in body:
            break
        body.insert(0, head)
        if head == food:
            apples += 1
            if len(body) >= MAX_LEN:
                break
            food = place_food(body)
        else:
            body.pop()
    return apples


if __name__ == "__main__":
    start = time.perf_counter()
    score = sum(play(seed) for seed in range(20)) / 20
    print(f"{score} {time.perf_counter() - start:.6f}")
