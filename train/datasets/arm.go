package datasets

import "math"

// The two-link planar arm of RobotArm: link lengths and the ranges of the commanded
// joint angles, those of the robot-arm example in Bishop's mixture density network
// report (1994).
const (
	armL1, armL2         = 0.8, 0.2
	armT1Lo, armT1Hi     = 0.3, 1.2
	armT2Lo, armT2Hi     = math.Pi / 2, 3 * math.Pi / 2
	ArmJointNoise        = 0.05 // the joints' error, in radians (standard deviation)
	armNameX1, armNameX2 = "theta1", "theta2"
)

// RobotArm returns n points of a two-link planar arm's forward kinematics with noisy
// joints: commanded joint angles θ₁ ~ U(0.3, 1.2), θ₂ ~ U(π/2, 3π/2) are the input, and
// the target is the end point the arm reaches,
//
//	y₁ = L₁ cos(θ₁+ε₁) − L₂ cos(θ₁+ε₁+θ₂+ε₂),  y₂ = L₁ sin(θ₁+ε₁) − L₂ sin(θ₁+ε₁+θ₂+ε₂),
//
// L₁ = 0.8, L₂ = 0.2, with joint errors ε ~ N(0, ArmJointNoise² I). The errors reach
// the end point through the arm's Jacobian J(θ), so the target's noise is correlated,
// with covariance about ArmJointNoise² J Jᵀ: a thin ellipse across the first link whose
// tilt turns with θ (correlations between about −0.16 and −1). A mixture of diagonal
// Gaussians can only approximate such an ellipse with several axis-aligned components;
// one full-covariance component fits it.
func RobotArm(n int, seed uint64) *Set {
	rng := newRand(seed)
	s := &Set{N: n, XDim: 2, YDim: 2, XNames: []string{armNameX1, armNameX2}, YNames: []string{"y1", "y2"}}
	for i := 0; i < n; i++ {
		t1 := armT1Lo + (armT1Hi-armT1Lo)*rng.Float64()
		t2 := armT2Lo + (armT2Hi-armT2Lo)*rng.Float64()
		y1, y2 := RobotArmEndPoint(t1, t2, rng.NormFloat64(), rng.NormFloat64())
		s.X = append(s.X, t1, t2)
		s.Y = append(s.Y, y1, y2)
	}
	return s
}

// RobotArmEndPoint is the end point RobotArm's arm reaches for commanded joint angles
// θ₁, θ₂ and standard normal joint errors e₁, e₂ (ε = ArmJointNoise·e).
func RobotArmEndPoint(t1, t2, e1, e2 float64) (y1, y2 float64) {
	a1 := t1 + ArmJointNoise*e1
	a2 := a1 + t2 + ArmJointNoise*e2
	return armL1*math.Cos(a1) - armL2*math.Cos(a2), armL1*math.Sin(a1) - armL2*math.Sin(a2)
}
