/* The firmware loop around a one-step streaming cell that onnx2c generated from
       k2onnx tests/fixtures/tfk2_lstm_last.h5 -o cell.onnx --unroll --steps 1 --state-io --batch 1
   (an LSTM of 5 units over 2 features, then a Dense of 2): read one step from stdin, run it,
   keep the new states for the next step, print the Dense output. Build with the generated C:
       cc -O2 -o cell cell_main.c cell.c -lm */
#include <stdio.h>
#include <string.h>

#define FEATURES 2
#define UNITS 5
#define OUTPUTS 2

/* onnx2c's entry point: the model inputs, then its outputs, in graph order. */
void entry(const float x[1][1][FEATURES], const float h0[1][UNITS], const float c0[1][UNITS], float y[1][OUTPUTS],
           float h_n[1][UNITS], float c_n[1][UNITS]);

int main(void)
{
    static float x[1][1][FEATURES], h[1][UNITS], c[1][UNITS], y[1][OUTPUTS], h_n[1][UNITS], c_n[1][UNITS];
    while (scanf("%f %f", &x[0][0][0], &x[0][0][1]) == 2) {
        entry(x, h, c, y, h_n, c_n);
        memcpy(h, h_n, sizeof h);
        memcpy(c, c_n, sizeof c);
        printf("%.7f %.7f\n", y[0][0], y[0][1]);
    }
    return 0;
}
