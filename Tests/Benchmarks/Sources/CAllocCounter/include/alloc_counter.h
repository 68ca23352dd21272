#pragma once
/// Number of malloc/calloc/realloc/memalign-family calls in this process so far (all threads).
unsigned long dosecab_alloc_count(void);
