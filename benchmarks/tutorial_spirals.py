"""Tutorial 000's algorithm as a plain numpy script, written from its formulas.

The reference nn must not be slower than: (features, samples) layout,
tanh hidden layer, sigmoid output, cross-entropy cost computed every
iteration, gradient descent lr 1.2. Prints the cost every 1,000 iterations,
the final accuracy and the training time (the loop only).
"""

from __future__ import annotations

import sys
import time

import numpy as np


def spirals(N: int = 400, K: int = 2, seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    np.random.seed(seed)
    X = np.zeros((N * K, 2))
    Y = np.zeros(N * K, dtype="int")
    for j in range(K):
        ix = range(N * j, N * (j + 1))
        r = np.linspace(0, 1, N)
        t = np.linspace(j * 4.2, (j + 1) * 4.2, N) + np.random.randn(N) * 0.2
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = 0 if j % 2 == 0 else 1
    return X.T.copy(), Y.reshape(1, -1).copy()


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def main(iterations: int = 10000, print_cost: bool = True) -> float:
    X, Y = spirals()
    m = X.shape[1]
    np.random.seed(42)
    W1 = np.random.randn(4, 2) * 0.01
    b1 = np.zeros((4, 1))
    W2 = np.random.randn(1, 4) * 0.01
    b2 = np.zeros((1, 1))
    lr = 1.2
    started = time.perf_counter()
    for i in range(iterations):
        Z1 = np.dot(W1, X) + b1
        A1 = np.tanh(Z1)
        Z2 = np.dot(W2, A1) + b2
        A2 = sigmoid(Z2)
        logprobs = np.dot(Y, np.log(A2).T) + np.dot(1 - Y, np.log(1 - A2).T)
        cost = float(np.squeeze(-logprobs / m))
        dZ2 = A2 - Y
        dW2 = (1 / m) * np.dot(dZ2, A1.T)
        db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
        dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
        dW1 = (1 / m) * np.dot(dZ1, X.T)
        db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
        W1 = W1 - lr * dW1
        b1 = b1 - lr * db1
        W2 = W2 - lr * dW2
        b2 = b2 - lr * db2
        if print_cost and i % 1000 == 0:
            print(f"Cost after iteration {i}: {cost:f}")
    seconds = time.perf_counter() - started
    A2 = sigmoid(np.dot(W2, np.tanh(np.dot(W1, X) + b1)) + b2)
    accuracy = float(np.mean((A2 > 0.5) == Y))
    print(f"accuracy {accuracy:.4f}  train_seconds {seconds:.3f}")
    return seconds


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10000)
