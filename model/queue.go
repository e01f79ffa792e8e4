package model

// queue is a FIFO slice with amortized O(1) push and pop-front.
type queue[T any] struct {
	items []T
	head  int
}

func (q *queue[T]) len() int    { return len(q.items) - q.head }
func (q *queue[T]) at(i int) T  { return q.items[q.head+i] }
func (q *queue[T]) push(v T)    { q.items = append(q.items, v) }
func (q *queue[T]) front() T    { return q.items[q.head] }
func (q *queue[T]) back() T     { return q.items[len(q.items)-1] }
func (q *queue[T]) reset()      { *q = queue[T]{} }
func (q *queue[T]) empty() bool { return q.len() == 0 }

func (q *queue[T]) popBack() T {
	var zero T
	v := q.items[len(q.items)-1]
	q.items[len(q.items)-1] = zero
	q.items = q.items[:len(q.items)-1]
	return v
}

func (q *queue[T]) popFront() T {
	var zero T
	v := q.items[q.head]
	q.items[q.head] = zero
	q.head++
	// Compact when the dead prefix dominates, so memory stays bounded and
	// every element is copied O(1) times on average.
	if q.head >= 64 && q.head*2 >= len(q.items) {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items = q.items[:n]
		q.head = 0
	}
	return v
}
