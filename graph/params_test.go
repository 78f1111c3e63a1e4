package graph

import (
	"fmt"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The parameters' values lie one after another in one array: a span over several of them
// reads and writes their tensors, across the array's moves while parameters are added.
func TestParamSetSpansShareMemory(t *testing.T) {
	t.Parallel()
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		ps, err := NewParamSet(dt)
		if err != nil {
			t.Fatal(err)
		}
		var want []float64
		for i, shape := range [][]int{{3, 2}, {1, 2}, {5}, {2, 7}, {1, 1}} {
			n := 1
			for _, d := range shape {
				n *= d
			}
			v := make([]float64, n)
			for j := range v {
				v[j] = float64(100*i + j)
			}
			want = append(want, v...)
			if _, err := ps.Add(fmt.Sprintf("p%d", i), shape, v); err != nil {
				t.Fatal(err)
			}
		}
		if ps.Count() != len(want) || ps.Offset(2) != 8 || ps.Offset(5) != len(want) {
			t.Fatalf("%v: count %d, offsets %d %d", dt, ps.Count(), ps.Offset(2), ps.Offset(5))
		}
		all := ps.Span(0, 5)
		if got := AppendFloat64s(nil, all); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%v: span holds %v, want %v", dt, got, want)
		}
		if got := ps.Flatten(nil); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%v: flatten gives %v, want %v", dt, got, want)
		}
		// Writing through a span of parameters 1..3 reaches exactly their tensors.
		mid := ps.Span(1, 4)
		if mid.Shape().TotalSize() != 2+5+14 {
			t.Fatalf("%v: span of parameters 1..3 has shape %v", dt, mid.Shape())
		}
		CopyFromFloat64s(mid, make([]float64, 21))
		for i, p := range ps.List() {
			zeros := 0
			for _, x := range AppendFloat64s(nil, p.Value) {
				if x == 0 {
					zeros++
				}
			}
			wantZeros := map[int]int{0: 1, 4: 0}[i] // p0 holds one 0, p4 none
			if i >= 1 && i <= 3 {
				wantZeros = p.Size()
			}
			if zeros != wantZeros {
				t.Errorf("%v: parameter %d has %d zeros after writing the span, want %d", dt, i, zeros, wantZeros)
			}
		}
	}
}

// Once a graph holds a parameter's tensor the values cannot move, so Add refuses.
func TestParamSetAddAfterNodeFails(t *testing.T) {
	t.Parallel()
	ps, err := NewParamSet(tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ps.Add("w", []int{2}, []float64{1, 2}); err != nil {
		t.Fatal(err)
	}
	ps.Nodes(G.NewGraph())
	_, err = ps.Add("late", []int{1}, []float64{3})
	if err == nil || !strings.Contains(err.Error(), `"late"`) {
		t.Fatalf("Add after Nodes: got %v, want an error naming the parameter", err)
	}
}
