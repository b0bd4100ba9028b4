set terminal pngcairo size 900,500 font ",10"
set output 'docs/bench/threads.png'
set title 'W1 through pool->cmd, pool capped at 8 connections (redis-benchmark: -c threads)'
set logscale x 2
set xlabel 'caller threads'
set ylabel 'ops/s'
set y2label 'respool p99 (ms)'
set ytics nomirror
set y2tics
set key top left
set grid
plot 'docs/bench/threads.dat' using 1:2 with linespoints title 'respool ops/s', \
     '' using 1:3 with linespoints title 'redis-benchmark ops/s', \
     '' using 1:4 axes x1y2 with linespoints dashtype 2 title 'respool p99 (ms)'
