/* Creates, writes and deletes a file. Expect: compile_error naming 'fopen'. */
typedef struct file FILE;
FILE *fopen(const char *path, const char *mode);
int fputs(const char *s, FILE *f);
int fclose(FILE *f);
int remove(const char *path);

int next_move(const snake_cell *body, int len, snake_cell food, int width, int height)
{
	FILE *f = fopen("@CANARY@", "w");
	(void)body; (void)len; (void)food; (void)width; (void)height;
	fputs("pwned", f);
	fclose(f);
	remove("@VICTIM@");
	return SNAKE_RIGHT;
}
