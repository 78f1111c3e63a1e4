package datasets

import (
	"math"
	"testing"
)

// TestRobotArm checks the set's shape and ranges, that it is reproducible, and that the
// end point's noise at fixed joints has about the covariance ArmJointNoise² J Jᵀ of the
// linearised arm (J the Jacobian of the end point in the joint angles).
func TestRobotArm(t *testing.T) {
	s := RobotArm(500, 7)
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.N != 500 || s.XDim != 2 || s.YDim != 2 {
		t.Fatalf("N, XDim, YDim = %d, %d, %d", s.N, s.XDim, s.YDim)
	}
	again := RobotArm(500, 7)
	for i := range s.Y {
		if s.Y[i] != again.Y[i] || s.X[i] != again.X[i] {
			t.Fatal("RobotArm(500, 7) differs between calls")
		}
	}
	for i := 0; i < s.N; i++ {
		x, y := s.Row(i)
		if x[0] < armT1Lo || x[0] > armT1Hi || x[1] < armT2Lo || x[1] > armT2Hi {
			t.Fatalf("row %d: joint angles %v out of range", i, x)
		}
		if r := math.Hypot(y[0], y[1]); r > armL1+armL2 || r < armL1-armL2 {
			t.Fatalf("row %d: end point %v at distance %g from the base", i, y, r)
		}
	}
	const n = 40000
	rng := newRand(3)
	for _, th := range [][2]float64{{0.4, 2.0}, {1.1, 4.3}} {
		var m0, m1, c00, c01, c11 float64
		pts := make([][2]float64, n)
		for i := range pts {
			pts[i][0], pts[i][1] = RobotArmEndPoint(th[0], th[1], rng.NormFloat64(), rng.NormFloat64())
			m0 += pts[i][0] / n
			m1 += pts[i][1] / n
		}
		for _, p := range pts {
			c00 += (p[0] - m0) * (p[0] - m0) / (n - 1)
			c01 += (p[0] - m0) * (p[1] - m1) / (n - 1)
			c11 += (p[1] - m1) * (p[1] - m1) / (n - 1)
		}
		a1, a2 := th[0], th[0]+th[1]
		j := [2][2]float64{{-armL1*math.Sin(a1) + armL2*math.Sin(a2), armL2 * math.Sin(a2)}, {armL1*math.Cos(a1) - armL2*math.Cos(a2), -armL2 * math.Cos(a2)}}
		v := ArmJointNoise * ArmJointNoise
		w00, w01, w11 := v*(j[0][0]*j[0][0]+j[0][1]*j[0][1]), v*(j[0][0]*j[1][0]+j[0][1]*j[1][1]), v*(j[1][0]*j[1][0]+j[1][1]*j[1][1])
		// Sampling error is about 1 % (√(2/n)); the linearisation's about ArmJointNoise².
		for _, c := range [][3]float64{{c00, w00, 0}, {c11, w11, 1}} {
			if math.Abs(c[0]/c[1]-1) > 0.04 {
				t.Errorf("θ = %v: variance %d is %.4g, linearised %.4g", th, int(c[2]), c[0], c[1])
			}
		}
		if r, wr := c01/math.Sqrt(c00*c11), w01/math.Sqrt(w00*w11); math.Abs(r-wr) > 0.02 {
			t.Errorf("θ = %v: correlation %.4f, linearised %.4f", th, r, wr)
		}
	}
}

func TestBuiltinArm(t *testing.T) {
	tr, te, err := Builtin(NameRobotArm, 0, 4)
	if err != nil {
		t.Fatal(err)
	}
	if tr.N != 2000 || te.N != 2000 || tr.YDim != 2 {
		t.Fatalf("arm: %d and %d rows of %d targets, want 2000, 2000, 2", tr.N, te.N, tr.YDim)
	}
	want := RobotArm(2000, 5)
	for i := range want.Y {
		if te.Y[i] != want.Y[i] {
			t.Fatalf("arm's test set is not RobotArm(2000, seed+1)")
		}
	}
}
